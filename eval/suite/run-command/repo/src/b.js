export const b = "two";
