// Companion processes (embedded Redis, embedded coturn): one supervisor keeps each running.
export { SupervisedChild, type SupervisedChildOptions } from './supervised-child.js';
