export function getUserName(user) {
  return user.nickname ?? `${user.first} ${user.last}`;
}
