import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../worker-pool.js';
import { loadMediasoup } from '../mediasoup-loader.js';
import { meetingMediaCodecs, meetingRtpCapabilities } from './codecs.js';

describe('meetingRtpCapabilities', () => {
  it('are exactly what a real mediasoup router built from meetingMediaCodecs reports', async () => {
    const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, process.cwd()));
    const worker = await mediasoup.createWorker({ logLevel: 'error' });
    try {
      const router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
      expect(meetingRtpCapabilities()).toEqual(router.rtpCapabilities);
      // H.264 and VP8 with payload types of their own (what SIP answers list before any meeting exists).
      const video = meetingRtpCapabilities().codecs!.filter((c) => c.kind === 'video' && !/rtx/i.test(c.mimeType));
      expect(video.map((c) => c.mimeType).sort()).toEqual(['video/H264', 'video/VP8']);
    } finally {
      worker.close();
    }
  });
});
