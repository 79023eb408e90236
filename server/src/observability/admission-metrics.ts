import { Gauge, type Registry } from 'prom-client';

/** Structural view of the admission control (no import of the SFU). */
export interface ObservableAdmission {
  readonly cpuLoad: number;
  refusal(): unknown;
}

export function registerAdmissionMetrics(registry: Registry, admission: ObservableAdmission): void {
  new Gauge({
    name: 'convene_media_worker_cpu_load',
    help: 'Average CPU use of the media workers over the last admission sample (1 = one core per worker)',
    registers: [registry],
    collect() {
      this.set(admission.cpuLoad);
    },
  });
  new Gauge({
    name: 'convene_admission_refusing',
    help: '1 while admission control refuses new joins and calls (media workers at their CPU limit)',
    registers: [registry],
    collect() {
      this.set(admission.refusal() ? 1 : 0);
    },
  });
}
