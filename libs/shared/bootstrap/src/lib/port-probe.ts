import { createServer } from 'node:net';

/** A port another process holds (or this one may not take): the start stops with this one line. */
export class PortUnavailableError extends Error {
  override readonly name = 'PortUnavailableError';
}

/**
 * Fails with one line naming the port and the variable to change when
 * host:port cannot be listened on, before anything else starts: so a busy
 * port is not reported after migrations ran or half the listeners are up.
 * Port 0 (any free port) always succeeds. The real listen may still lose a
 * race with another process; it reports the same way.
 */
export async function assertCanListen(host: string, port: number, what: string, variable: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((done, fail) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (error: NodeJS.ErrnoException) => fail(portUnavailable(error, host, port, what, variable)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => done()));
  });
}

/** The one line for an error of listen(); other errors pass through unchanged. */
export function portUnavailable(error: NodeJS.ErrnoException, host: string, port: number, what: string, variable: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new PortUnavailableError(`${what} port ${port} on ${host} is already in use by another process: stop it, or set ${variable} to a free port (0: any free port)`);
  }
  if (error.code === 'EACCES') return new PortUnavailableError(`${what} port ${port} on ${host} needs privileges this process lacks: set ${variable} to a port above 1023`);
  if (error.code === 'EADDRNOTAVAIL') return new PortUnavailableError(`${host} is no address of this machine: set HOST to one (127.0.0.1, 0.0.0.0, …)`);
  return error;
}
