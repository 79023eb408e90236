// The status page's readiness line (a file, not inline: the Content-Security-Policy allows no inline script).
fetch('/readyz').then((r) => r.json()).then((body) => {
  const el = document.getElementById('status');
  el.textContent = body.status === 'ready' ? 'ready' : 'not ready (' + Object.entries(body.checks).filter(([, ok]) => !ok).map(([k]) => k).join(', ') + ')';
  el.className = body.status === 'ready' ? 'ok' : 'bad';
}).catch(() => { const el = document.getElementById('status'); el.textContent = 'unreachable'; el.className = 'bad'; });
