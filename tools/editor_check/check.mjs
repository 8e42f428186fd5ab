// Checks the editor schema with vscode-json-languageservice, the JSON language service of VS Code.
// Usage: node check.mjs  (after npm ci here). Prints one line per check; exit 1 if any fails.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import languageService from "vscode-json-languageservice";

const { getLanguageService, TextDocument } = languageService;

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(here, "..", "..", "schemas", "pipeline-file.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const service = getLanguageService({ schemaRequestService: async () => JSON.stringify(schema) });
service.configure({
  validate: true,
  allowComments: false,
  schemas: [{ uri: schema.$id, fileMatch: ["*.json"], schema }],
});

let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : ": " + detail}`);
  if (!ok) failures += 1;
}

function documentOf(text) {
  return TextDocument.create("file:///shop.json", "json", 1, text);
}

async function completions(text) {
  // The cursor stands where the text holds "|".
  const offset = text.indexOf("|");
  const doc = documentOf(text.replace("|", ""));
  const list = await service.doComplete(doc, doc.positionAt(offset), service.parseJSONDocument(doc));
  return list ? list.items : [];
}

async function diagnostics(text) {
  const doc = documentOf(text);
  return service.doValidation(doc, service.parseJSONDocument(doc));
}

function pipeline(stages) {
  return `{"version": 1, "pipelines": {"p": {"collection": "orders", "stages": [${stages}]}}}`;
}

function labels(items) {
  return items.map((item) => item.label.replace(/"/g, ""));
}

function described(items, label) {
  const item = items.find((i) => i.label.replace(/"/g, "") === label);
  const doc = item && (item.documentation?.value ?? item.documentation ?? item.detail);
  return Boolean(doc && String(doc).length > 10);
}

const stageNames = await completions(pipeline(`{"|": 1}`));
check("stage names complete, with descriptions", labels(stageNames).includes("$lookup") && described(stageNames, "$lookup"), labels(stageNames).slice(0, 5));

const query = await completions(pipeline(`{"$match": {"qty": {"|": 5}}}`));
check("query operators complete in a field condition", labels(query).includes("$gt") && described(query, "$gt"), labels(query).slice(0, 5));

const logical = await completions(pipeline(`{"$match": {"|": []}}`));
check("top-level query operators complete in $match", labels(logical).includes("$or"), labels(logical).slice(0, 5));

const expression = await completions(pipeline(`{"$project": {"total": {"|": []}}}`));
check("expression operators complete in $project", labels(expression).includes("$add") && described(expression, "$ifNull"), labels(expression).slice(0, 5));

const accumulators = await completions(pipeline(`{"$group": {"_id": "$a", "n": {"|": 1}}}`));
check("accumulators complete in $group", labels(accumulators).includes("$sum") && described(accumulators, "$sum"), labels(accumulators).slice(0, 5));

const windows = await completions(pipeline(`{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"r": {"|": {}}}}}`));
check("window operators complete in $setWindowFields", labels(windows).includes("$rank"), labels(windows).slice(0, 5));

const lookup = await completions(pipeline(`{"$lookup": {"|": "x"}}`));
check("a stage's named arguments complete", ["from", "localField", "as"].every((l) => labels(lookup).includes(l)), labels(lookup));

const typo = await diagnostics(pipeline(`{"$mtach": {"a": 1}}`));
check("an unknown stage name is flagged", typo.some((d) => d.message.includes("$mtach")), JSON.stringify(typo));

const options = await diagnostics(pipeline(`{"$match": {}}`).replace(`"stages"`, `"options": {"maxTimeMs": 5}, "stages"`));
check("an unknown option is flagged", options.some((d) => d.message.includes("maxTimeMs")), JSON.stringify(options));

const clean = await diagnostics(pipeline(`{"$match": {"qty": {"$gt": 5}}}, {"$group": {"_id": "$a", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 10}`));
check("a valid pipeline has no diagnostics", clean.length === 0, JSON.stringify(clean));

const hoverText = pipeline(`{"$match": {}}`);
const hoverDoc = documentOf(hoverText);
const hover = await service.doHover(hoverDoc, hoverDoc.positionAt(hoverText.indexOf("collection") + 2), service.parseJSONDocument(hoverDoc));
check("a property has hover text", Boolean(hover && JSON.stringify(hover.contents).includes("database")), JSON.stringify(hover));

console.log(failures ? `${failures} check(s) failed` : "all editor checks passed");
process.exit(failures ? 1 : 0);
