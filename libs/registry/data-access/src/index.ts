export * from './lib/device.repository';
