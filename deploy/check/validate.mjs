// Offline check of the Kubernetes manifests in a directory (deploy/check.sh runs it). Three layers:
//  1. schema: each object against Kubernetes' OpenAPI schema for its apiVersion and kind (kubernetes-models, whose
//     validators are generated from that schema: required fields, types, enums, formats);
//  2. unknown fields: the same objects as TypeScript literals of the models' types, compiled with tsc, whose
//     excess-property check refuses a misspelt field (`readinesProbe`) as `kubectl apply --validate=strict` would;
//  3. references between the files: selectors match the Pod template's labels, Services' named target ports
//     exist, ConfigMap and Secret references name objects shipped here, mounts name volumes (or volume claim
//     templates), a StatefulSet's serviceName is a shipped headless Service, and the properties docs/deployment.md
//     promises (non-root, read-only root filesystem, probes on /healthz, /data on a claim of its own per replica).
// Prints one line per finding and exits 1 when there is any.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2];
const problems = [];
const objects = [];

for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"), { uniqueKeys: true })) {
    for (const e of doc.errors) problems.push(`${file}: YAML: ${e.message}`);
    const obj = doc.toJS();
    if (obj) objects.push({ file, obj });
  }
}

// The module of a kind: "apps/v1" + Deployment -> kubernetes-models/apps/v1/Deployment; core "v1" -> v1/Service.
const modulePath = (o) => `kubernetes-models/${o.apiVersion}/${o.kind}`;
const isApiObject = (o) => o.apiVersion !== "kustomize.config.k8s.io/v1beta1";

// 1. Schema.
for (const { file, obj } of objects.filter((x) => isApiObject(x.obj))) {
  const where = `${file}: ${obj.kind}/${obj.metadata?.name}`;
  let model;
  try {
    model = await import(modulePath(obj));
  } catch {
    problems.push(`${where}: no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
    continue;
  }
  try {
    new model[obj.kind](obj).validate();
  } catch (e) {
    problems.push(`${where}: schema: ${e.message}`);
  }
}

// 2. Unknown fields, through TypeScript's excess-property check.
// Inside this folder, so that the imports resolve to its node_modules.
const scratch = mkdtempSync(join(here, ".tmp-"));
try {
  const api = objects.filter((x) => isApiObject(x.obj));
  const lines = api.map(({ obj }, i) => `import type { I${obj.kind} as T${i} } from "${modulePath(obj)}";`);
  api.forEach(({ file, obj }, i) => lines.push(`// ${file}\nexport const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};`));
  const source = join(scratch, "manifests.ts");
  writeFileSync(source, lines.join("\n") + "\n");
  writeFileSync(join(scratch, "package.json"), '{"type":"module"}');
  try {
    execFileSync(process.execPath, [join(here, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--skipLibCheck",
      "--module", "nodenext", "--moduleResolution", "nodenext", source],
      { cwd: here, encoding: "utf8" });
  } catch (e) {
    const text = (e.stdout || "") + (e.stderr || "");
    for (const line of text.split("\n").filter((l) => l.trim())) {
      // Name the manifest the offending line came from: the last "// file" comment above it.
      const m = /manifests\.ts\((\d+),/.exec(line);
      const before = m ? lines.join("\n").split("\n").slice(0, Number(m[1])).reverse().find((l) => l.startsWith("// ")) : null;
      problems.push(`${before ? before.slice(3) + ": " : ""}fields: ${line.replace(/^.*manifests\.ts\(\d+,\d+\): /, "")}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// 3. References and promised properties.
const all = objects.map((x) => x.obj);
const find = (kind) => all.filter((o) => o.kind === kind);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const kustomization = find("Kustomization")[0];
for (const r of kustomization?.resources ?? []) {
  if (!objects.some((x) => x.file === r)) problems.push(`kustomization.yaml: resource ${r} is not in ${dir}`);
}
const workloads = [...find("Deployment"), ...find("StatefulSet")];
if (workloads.length === 0) problems.push(`no Deployment or StatefulSet in ${dir}`);
for (const d of workloads) {
  const where = `${d.kind}/${d.metadata.name}`;
  const pod = d.spec.template;
  if (!matches(d.spec.selector.matchLabels, pod.metadata?.labels)) problems.push(`${where}: selector does not match the Pod template's labels`);
  if (d.spec.replicas !== 3) problems.push(`${where}: replicas is ${d.spec.replicas}, the documented setup has 3`);
  if (pod.spec.securityContext?.runAsNonRoot !== true) problems.push(`${where}: Pod securityContext.runAsNonRoot is not true`);
  const claims = new Set((d.spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name));
  const volumes = new Set([...(pod.spec.volumes ?? []).map((v) => v.name), ...claims]);
  if (d.kind === "StatefulSet") {
    const headless = find("Service").find((o) => o.metadata.name === d.spec.serviceName);
    if (!headless) problems.push(`${where}: serviceName ${d.spec.serviceName} is not a shipped Service`);
    else if (headless.spec.clusterIP !== "None") problems.push(`${where}: Service ${d.spec.serviceName} is not headless (clusterIP: None)`);
  }
  // The spool of queued delivery is in /data: it must outlive the Pod (docs/deployment.md), so a claim per replica.
  for (const c of pod.spec.containers) {
    const data = (c.volumeMounts ?? []).find((m) => m.mountPath === "/data");
    if (data && !claims.has(data.name)) problems.push(`${where} container ${c.name}: /data (the spool) is not a volumeClaimTemplate, so it does not outlive the Pod`);
  }
  for (const c of pod.spec.containers) {
    const cw = `${where} container ${c.name}`;
    if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${cw}: readOnlyRootFilesystem is not true`);
    for (const p of ["readinessProbe", "livenessProbe"]) {
      if (c[p]?.httpGet?.path !== "/healthz") problems.push(`${cw}: ${p} is not an HTTP GET of /healthz`);
    }
    const portNames = new Set((c.ports ?? []).map((p) => p.name));
    for (const p of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const port = c[p]?.httpGet?.port;
      if (typeof port === "string" && !portNames.has(port)) problems.push(`${cw}: ${p} names port ${port}, which the container does not have`);
    }
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${cw}: mount ${m.name} names no volume`);
    for (const path of ["/data", "/tmp"]) {
      if (!(c.volumeMounts ?? []).some((m) => m.mountPath === path)) problems.push(`${cw}: nothing writable mounted at ${path}`);
    }
    for (const ref of c.envFrom ?? []) {
      if (ref.configMapRef && !find("ConfigMap").some((o) => o.metadata.name === ref.configMapRef.name)) problems.push(`${cw}: ConfigMap ${ref.configMapRef.name} is not shipped`);
    }
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      if (!s || s.optional) continue;
      const secret = find("Secret").find((o) => o.metadata.name === s.name);
      if (!secret || !(s.key in (secret.stringData ?? secret.data ?? {}))) problems.push(`${cw}: env ${e.name} needs key ${s.key} of Secret ${s.name}, which secret.example.yaml does not show`);
    }
  }
  for (const svc of find("Service")) {
    const sw = `Service/${svc.metadata.name}`;
    if (!matches(svc.spec.selector, pod.metadata?.labels)) { problems.push(`${sw}: selector matches no Pod of ${where}`); continue; }
    for (const p of svc.spec.ports) {
      const target = pod.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => (typeof p.targetPort === "string" ? cp.name === p.targetPort : cp.containerPort === (p.targetPort ?? p.port)));
      if (!target) problems.push(`${sw}: port ${p.name} targets ${p.targetPort}, which no container has`);
      else if ((target.protocol ?? "TCP") !== (p.protocol ?? "TCP")) problems.push(`${sw}: port ${p.name} is ${p.protocol ?? "TCP"}, its target ${target.protocol ?? "TCP"}`);
    }
  }
  for (const pdb of find("PodDisruptionBudget")) {
    if (!matches(pdb.spec.selector.matchLabels, pod.metadata?.labels)) problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selector matches no Pod of ${where}`);
  }
}

for (const p of problems) console.log(p);
console.log(`${objects.length} objects in ${dir}: ${problems.length ? problems.length + " problem(s)" : "schema, fields and references ok"}`);
process.exit(problems.length ? 1 : 0);
