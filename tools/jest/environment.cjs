// The test environment of every Jest project (jest.config.js): Node's, plus,
// once a test file is done (after its last afterAll, also one that timed out),
// the stop of every server process the file started and left running
// (tools/scripts/child-registry.cjs).
'use strict';
const { TestEnvironment } = require('jest-environment-node');

class M2MTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async teardown() {
    const registry = this.global.__M2M_CHILD_REGISTRY__;
    if (registry) {
      const left = await registry.stopAll({ close: true });
      if (left > 0) process.stderr.write(`${this.testPath}: stopped ${left} server process(es) the suite left running\n`);
    }
    await super.teardown();
  }
}

module.exports = M2MTestEnvironment;
