export { runConformance, type CheckResult, type ConformanceOptions } from './run-conformance.js';
export { CONFORMANCE_CHECKS, type ConformanceCheck, type CheckContext } from './conformance-checks.js';
