// setupFilesAfterEnv of every Jest project (jest.config.js). Jest 30 reads
// `testTimeout` only from the root configuration, so each tier sets its own
// default here; M2M_TEST_TIMEOUT_SCALE (default 1) stretches all of them for a
// machine slower than the ones the suite is measured on (docs/testing.md).
'use strict';
const TIER_TIMEOUT_MS = { unit: 30_000, integration: 120_000, e2e: 180_000 };

const scale = Number(process.env.M2M_TEST_TIMEOUT_SCALE ?? '1');
if (!Number.isFinite(scale) || scale < 1) throw new Error(`M2M_TEST_TIMEOUT_SCALE must be a number >= 1, not ${process.env.M2M_TEST_TIMEOUT_SCALE}`);
const tier = globalThis.__M2M_TEST_TIER__;
if (!(tier in TIER_TIMEOUT_MS)) throw new Error(`unknown test tier ${tier}`);
jest.setTimeout(TIER_TIMEOUT_MS[tier] * scale);
