export { MeetingController, type JoinRequest } from './controller.js';
export { MeetingState, type Phase, type ChatEntry, type MeetingSnapshot } from './state.js';
