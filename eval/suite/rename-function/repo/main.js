import { greet } from "./lib/greet.js";
import { getUserName } from "./lib/users.js";

const ada = { first: "Ada", last: "Lovelace" };
console.log(greet(ada));
console.log(getUserName({ nickname: "grace" }));
