import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the process: HTTP traffic and authentication outcomes. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'm2m_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'm2m_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly authentications = new Counter({
    name: 'm2m_authentications_total',
    help: 'Device authentications, by outcome (success|failure) and failure reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'm2m_' });
    // prom-client names these gauges `_total`, a suffix Prometheus keeps for counters (promtool check metrics
    // refuses them); the per-type gauges of the same names without the suffix carry the same numbers.
    for (const gauge of ['active_handles_total', 'active_requests_total', 'active_resources_total']) this.registry.removeSingleMetric(`m2m_nodejs_${gauge}`);
  }
}
