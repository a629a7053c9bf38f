// How much longer than measured a test may take: M2M_TEST_TIMEOUT_SCALE
// (default 1, at least 1) for a machine slower than the ones the suite is
// measured on (docs/testing.md). The tier defaults use it (tier.setup.cjs),
// and so must every timeout a test sets itself beyond its tier's default.
'use strict';
const scale = Number(process.env.M2M_TEST_TIMEOUT_SCALE ?? '1');
if (!Number.isFinite(scale) || scale < 1) throw new Error(`M2M_TEST_TIMEOUT_SCALE must be a number >= 1, not ${process.env.M2M_TEST_TIMEOUT_SCALE}`);

/** `ms`, stretched by M2M_TEST_TIMEOUT_SCALE. */
const scaled = (ms) => Math.round(ms * scale);

module.exports = { scaled };
