// setupFilesAfterEnv of every Jest project (jest.config.js). Jest 30 reads
// `testTimeout` only from the root configuration, so each tier sets its own
// default here, stretched by M2M_TEST_TIMEOUT_SCALE (tools/jest/scale.cjs).
'use strict';
const { scaled } = require('./scale.cjs');

const TIER_TIMEOUT_MS = { unit: 30_000, integration: 120_000, e2e: 180_000 };

const tier = globalThis.__M2M_TEST_TIER__;
if (!(tier in TIER_TIMEOUT_MS)) throw new Error(`unknown test tier ${tier}`);
jest.setTimeout(scaled(TIER_TIMEOUT_MS[tier]));
