// Reads "user_id|email|task_id|project_id|move_task_id|move_other_id" lines and prints
// "token task_id email project_id move_task_id move_other_id" lines: HS256 JWTs exactly as
// Taskdeck issues them, signed with $JWT_SECRET.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const secret = process.env.JWT_SECRET;
const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = encode({ alg: "HS256", typ: "JWT" });
const now = Math.floor(Date.now() / 1000);
for (const line of readFileSync(0, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [sub, email, taskId, projectId, moveTaskId, moveOtherId] = line.trim().split("|");
  const payload = encode({ sub, email, iat: now, exp: now + 4 * 3600, iss: "taskdeck" });
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  console.log(`${header}.${payload}.${signature} ${taskId} ${email} ${projectId} ${moveTaskId} ${moveOtherId}`);
}
