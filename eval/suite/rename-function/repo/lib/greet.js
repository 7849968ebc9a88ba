import { getUserName } from "./users.js";

export const greet = (user) => `Hello, ${getUserName(user)}!`;
