/**
 * Variable names that hold credentials by convention (OPENAI_API_KEY, HF_TOKEN, DB_PASSWORD…). A
 * module of its own: the proxy's log redaction reads it, and importing it from parse-yaml-file.ts
 * loaded the yaml parser (250 KB of code) into every `mallex proxy`.
 */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;
