// Small async helpers every service uses: one of each.
export { sleep } from "./sleep.js";
