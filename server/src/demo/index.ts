export { seedDemo, type DemoRoom } from './seed.js';
