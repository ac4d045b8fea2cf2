export {
  fakeSession,
  type ColdFactory,
  type FakeResult,
  type FakeSession,
  type FakeSessionSpec,
  type FakeSubscriptionLog,
} from './fake-session.js';
export * from './fake-transport.js';
