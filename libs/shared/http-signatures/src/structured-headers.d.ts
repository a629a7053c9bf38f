// structured-headers declares its types under "exports" only, which this
// workspace's moduleResolution ("node") does not read; point TypeScript at
// the same declarations. At run time Node's require resolves "exports" itself.
declare module 'structured-headers' {
  export * from 'structured-headers/dist/index';
}
