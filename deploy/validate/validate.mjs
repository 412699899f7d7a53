// Checks every Argo CD Application and ExternalSecret in the YAML files of the folders given
// against its CRD's schema (@kubernetes-models). Prints one JSON report on stdout; exits 1 when
// an object is invalid or when a folder holds none of them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1";

const MODELS = {
  "argoproj.io/v1alpha1 Application": Application,
  "external-secrets.io/v1 ExternalSecret": ExternalSecret,
};

function* yamlFiles(path) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) yield* yamlFiles(join(path, name));
  } else if (/\.ya?ml$/.test(path)) {
    yield path;
  }
}

const report = { checked: {}, invalid: [], skipped: 0 };
for (const folder of process.argv.slice(2)) {
  for (const file of yamlFiles(folder)) {
    for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
      const object = document.toJS();
      const key = `${object?.apiVersion} ${object?.kind}`;
      const Model = MODELS[key];
      if (!Model) {
        report.skipped += 1;
        continue;
      }
      report.checked[key] = (report.checked[key] ?? 0) + 1;
      try {
        new Model(object).validate();
      } catch (error) {
        report.invalid.push({ file, kind: key, message: String(error.message ?? error) });
      }
    }
  }
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.invalid.length || !Object.keys(report.checked).length ? 1 : 0);
