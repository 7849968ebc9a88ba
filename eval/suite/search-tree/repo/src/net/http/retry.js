import { MAX_RETRIES } from "../../config/limits.js";

export const retries = () => MAX_RETRIES;
