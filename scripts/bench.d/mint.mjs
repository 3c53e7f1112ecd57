// Reads "user_id|email|task_id|project_id|move_task_id|move_other_id[|sign_in_id]" lines and
// prints "token task_id email project_id move_task_id move_other_id user_id" lines: HS256 JWTs exactly as
// Taskdeck issues them (with the sign-in as `sid` when one is given), signed with $JWT_SECRET.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

const secret = process.env.JWT_SECRET;
const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = encode({ alg: "HS256", typ: "JWT" });
const now = Math.floor(Date.now() / 1000);
for (const line of readFileSync(0, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [sub, email, taskId, projectId, moveTaskId, moveOtherId, sid] = line.trim().split("|");
  const claims = { sub, email, iat: now, exp: now + 4 * 3600, iss: "taskdeck" };
  if (sid) claims.sid = sid;
  const payload = encode(claims);
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  console.log(`${header}.${payload}.${signature} ${taskId} ${email} ${projectId} ${moveTaskId} ${moveOtherId} ${sub}`);
}
