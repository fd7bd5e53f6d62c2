/**
 * Keeps extproc/proto/ wire-compatible with Envoy. Our .proto files are a subset written for this
 * project; Envoy's own descriptors come from its generated Go code (go-control-plane), dumped as a
 * JSON FileDescriptorSet by test/tools/envoy-descriptors. Every message, enum and service we declare
 * must exist in Envoy under the same full name and file, and every field, enum value and method we
 * declare must match Envoy's: number, name, type, label, type name, map key and value, oneof.
 * Fields and values Envoy has and we leave out are allowed, and listed as information.
 *
 * Needs Go (1.26) and a Go module proxy: the first run downloads go-control-plane and builds the
 * tool into test/tools/envoy-descriptors/bin/, keyed by a hash of its sources and go.mod/go.sum.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as Protobuf from "protobufjs";
import { PROTO_DIR } from "../../extproc/protocol";
import { run } from "../support/run";
import { goProgram } from "../support/go-program";

// ---- Envoy's side: descriptor.proto as protojson prints it with proto field names ----

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  type_name?: string;
  oneof_index?: number;
  proto3_optional?: boolean;
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface MessageDescriptor {
  name: string;
  field?: FieldDescriptor[];
  nested_type?: MessageDescriptor[];
  enum_type?: EnumDescriptor[];
  oneof_decl?: { name: string }[];
  reserved_range?: { start: number; end: number }[];
  reserved_name?: string[];
  options?: { map_entry?: boolean };
}
interface ServiceDescriptor {
  name: string;
  method?: {
    name: string;
    input_type: string;
    output_type: string;
    client_streaming?: boolean;
    server_streaming?: boolean;
  }[];
}
interface FileDescriptor {
  name: string;
  package: string;
  message_type?: MessageDescriptor[];
  enum_type?: EnumDescriptor[];
  service?: ServiceDescriptor[];
}
interface FileDescriptorSet {
  file: FileDescriptor[];
}

type Declaration =
  | { kind: "message"; file: string; descriptor: MessageDescriptor }
  | { kind: "enum"; file: string; descriptor: EnumDescriptor }
  | { kind: "service"; file: string; descriptor: ServiceDescriptor };

/** Every message, enum and service of the set, by full name with a leading dot. */
function indexDescriptors(set: FileDescriptorSet): Map<string, Declaration> {
  const index = new Map<string, Declaration>();
  const addMessage = (file: string, scope: string, message: MessageDescriptor) => {
    const name = `${scope}.${message.name}`;
    index.set(name, { kind: "message", file, descriptor: message });
    for (const nested of message.nested_type ?? []) addMessage(file, name, nested);
    for (const e of message.enum_type ?? [])
      index.set(`${name}.${e.name}`, { kind: "enum", file, descriptor: e });
  };
  for (const file of set.file) {
    const scope = file.package ? `.${file.package}` : "";
    for (const message of file.message_type ?? []) addMessage(file.name, scope, message);
    for (const e of file.enum_type ?? [])
      index.set(`${scope}.${e.name}`, { kind: "enum", file: file.name, descriptor: e });
    for (const s of file.service ?? [])
      index.set(`${scope}.${s.name}`, { kind: "service", file: file.name, descriptor: s });
  }
  return index;
}

// ---- one shape for a field, from either side ----

interface FieldShape {
  number: number;
  label: string;
  type: string;
  type_name?: string;
  map_key?: string;
  map_value?: string;
  oneof?: string;
  proto3_optional?: boolean;
}

const SCALARS: Record<string, string> = {
  double: "TYPE_DOUBLE",
  float: "TYPE_FLOAT",
  int64: "TYPE_INT64",
  uint64: "TYPE_UINT64",
  int32: "TYPE_INT32",
  fixed64: "TYPE_FIXED64",
  fixed32: "TYPE_FIXED32",
  bool: "TYPE_BOOL",
  string: "TYPE_STRING",
  bytes: "TYPE_BYTES",
  uint32: "TYPE_UINT32",
  sfixed32: "TYPE_SFIXED32",
  sfixed64: "TYPE_SFIXED64",
  sint32: "TYPE_SINT32",
  sint64: "TYPE_SINT64",
};

/** A field's type as `TYPE_X` or `TYPE_X .full.Name`. */
function ourType(field: Protobuf.FieldBase): { type: string; type_name?: string } {
  const resolved = field.resolvedType;
  if (resolved instanceof Protobuf.Type)
    return { type: "TYPE_MESSAGE", type_name: resolved.fullName };
  if (resolved instanceof Protobuf.Enum) return { type: "TYPE_ENUM", type_name: resolved.fullName };
  return { type: SCALARS[field.type] ?? `unknown scalar ${field.type}` };
}

const typeText = (t: { type: string; type_name?: string }) =>
  t.type_name ? `${t.type} ${t.type_name}` : t.type;

/** protoc's name for a map field's entry message: `filter_metadata` → `FilterMetadataEntry`. */
const mapEntryName = (field: string) =>
  field
    .split("_")
    .map(part => part.charAt(0).toUpperCase() + part.slice(1))
    .join("") + "Entry";

function ourShape(type: Protobuf.Type, field: Protobuf.FieldBase): FieldShape {
  const oneof = field.partOf?.name;
  const proto3Optional = field.options?.proto3_optional === true;
  if (field instanceof Protobuf.MapField) {
    return {
      number: field.id,
      label: "LABEL_REPEATED",
      type: "TYPE_MESSAGE",
      type_name: `${type.fullName}.${mapEntryName(field.name)}`,
      map_key: SCALARS[field.keyType],
      map_value: typeText(ourType(field)),
      ...(oneof ? { oneof } : {}),
    };
  }
  return {
    number: field.id,
    label: field.repeated
      ? "LABEL_REPEATED"
      : field instanceof Protobuf.Field && field.required
        ? "LABEL_REQUIRED"
        : "LABEL_OPTIONAL",
    ...ourType(field),
    ...(oneof ? { oneof } : {}),
    ...(proto3Optional ? { proto3_optional: true } : {}),
  };
}

function envoyShape(
  message: MessageDescriptor,
  field: FieldDescriptor,
  index: Map<string, Declaration>,
): FieldShape {
  const shape: FieldShape = { number: field.number, label: field.label, type: field.type };
  if (field.type_name) shape.type_name = field.type_name;
  const entry = field.type_name ? index.get(field.type_name) : undefined;
  if (entry?.kind === "message" && entry.descriptor.options?.map_entry) {
    const [key, value] = entry.descriptor.field ?? [];
    shape.map_key = key?.type;
    shape.map_value = value ? typeText(value) : undefined;
  }
  if (field.oneof_index !== undefined) shape.oneof = message.oneof_decl?.[field.oneof_index]?.name;
  if (field.proto3_optional) shape.proto3_optional = true;
  return shape;
}

// ---- the comparison ----

/** Differences between our declaration and Envoy's (failures), and what Envoy has beyond ours. */
interface Comparison {
  problems: string[];
  omitted: string[];
}

function compareMessage(
  type: Protobuf.Type,
  envoy: MessageDescriptor,
  index: Map<string, Declaration>,
  result: Comparison,
): void {
  const name = type.fullName.slice(1);
  const envoyFields = new Map((envoy.field ?? []).map(f => [f.name, f]));
  for (const field of type.fieldsArray) {
    const theirs = envoyFields.get(field.name);
    if (!theirs) {
      const byNumber = envoy.field?.find(f => f.number === field.id);
      result.problems.push(
        `${name}: field ${field.name} (${field.id}) does not exist in Envoy's ${envoy.name}` +
          (byNumber ? `; Envoy's field ${field.id} is ${byNumber.name}` : ""),
      );
      continue;
    }
    const ours = ourShape(type, field);
    const envoys = envoyShape(envoy, theirs, index);
    const keys = new Set([...Object.keys(ours), ...Object.keys(envoys)] as (keyof FieldShape)[]);
    for (const key of keys) {
      if (ours[key] !== envoys[key]) {
        result.problems.push(
          `${name}: field ${field.name}: ${key} is ${JSON.stringify(ours[key])} here, ` +
            `${JSON.stringify(envoys[key])} in Envoy`,
        );
      }
    }
  }
  for (const range of type.reserved ?? []) {
    if (typeof range === "string") {
      if (!envoy.reserved_name?.includes(range))
        result.problems.push(`${name}: reserved name "${range}" is not reserved in Envoy`);
      continue;
    }
    const [start, end] = range; // inclusive here, end-exclusive in descriptors
    const covered = envoy.reserved_range?.some(r => r.start <= start && end < r.end);
    if (!covered)
      result.problems.push(`${name}: reserved ${start} to ${end} is not reserved in Envoy`);
  }
  for (const oneof of type.oneofsArray) {
    if (!envoy.oneof_decl?.some(o => o.name === oneof.name))
      result.problems.push(`${name}: oneof ${oneof.name} does not exist in Envoy`);
  }
  for (const field of envoy.field ?? []) {
    if (!type.fields[field.name]) result.omitted.push(`${name}.${field.name} (${field.number})`);
  }
}

function compareEnum(e: Protobuf.Enum, envoy: EnumDescriptor, result: Comparison): void {
  const name = e.fullName.slice(1);
  const envoyValues = new Map(envoy.value.map(v => [v.name, v.number]));
  for (const [value, number] of Object.entries(e.values)) {
    const theirs = envoyValues.get(value);
    if (theirs === undefined) {
      const byNumber = envoy.value.find(v => v.number === number);
      result.problems.push(
        `${name}: value ${value} (${number}) does not exist in Envoy` +
          (byNumber ? `; Envoy's value ${number} is ${byNumber.name}` : ""),
      );
    } else if (theirs !== number) {
      result.problems.push(`${name}: value ${value} is ${number} here, ${theirs} in Envoy`);
    }
  }
  for (const v of envoy.value) {
    if (!(v.name in e.values)) result.omitted.push(`${name}.${v.name} (${v.number})`);
  }
}

function compareService(s: Protobuf.Service, envoy: ServiceDescriptor, result: Comparison): void {
  const name = s.fullName.slice(1);
  for (const method of s.methodsArray) {
    const theirs = envoy.method?.find(m => m.name === method.name);
    if (!theirs) {
      result.problems.push(`${name}: method ${method.name} does not exist in Envoy`);
      continue;
    }
    method.resolve();
    const ours = {
      input_type: method.resolvedRequestType?.fullName,
      output_type: method.resolvedResponseType?.fullName,
      client_streaming: method.requestStream === true,
      server_streaming: method.responseStream === true,
    };
    const envoys = {
      input_type: theirs.input_type,
      output_type: theirs.output_type,
      client_streaming: theirs.client_streaming === true,
      server_streaming: theirs.server_streaming === true,
    };
    for (const key of Object.keys(ours) as (keyof typeof ours)[]) {
      if (ours[key] !== envoys[key]) {
        result.problems.push(
          `${name}: method ${method.name}: ${key} is ${JSON.stringify(ours[key])} here, ` +
            `${JSON.stringify(envoys[key])} in Envoy`,
        );
      }
    }
  }
}

/** A message, enum or service declared in one of our files, and that file (relative to the root). */
interface OurDeclaration {
  object: Protobuf.Type | Protobuf.Enum | Protobuf.Service;
  file: string;
}

/** Compares one of our declarations with Envoy's declaration of the same full name. */
function compareDeclaration(ours: OurDeclaration, index: Map<string, Declaration>): Comparison {
  const result: Comparison = { problems: [], omitted: [] };
  const { object, file } = ours;
  const name = object.fullName.slice(1);
  const kind =
    object instanceof Protobuf.Type
      ? "message"
      : object instanceof Protobuf.Enum
        ? "enum"
        : "service";
  const envoy = index.get(object.fullName);
  if (!envoy) {
    result.problems.push(`${name}: there is no ${kind} of this name in Envoy's descriptors`);
    return result;
  }
  if (envoy.kind !== kind) {
    result.problems.push(`${name}: a ${kind} here, a ${envoy.kind} in Envoy`);
    return result;
  }
  if (envoy.file !== file) {
    result.problems.push(`${name}: declared in ${file} here, in ${envoy.file} in Envoy`);
  }
  if (object instanceof Protobuf.Type && envoy.kind === "message")
    compareMessage(object, envoy.descriptor, index, result);
  else if (object instanceof Protobuf.Enum && envoy.kind === "enum")
    compareEnum(object, envoy.descriptor, result);
  else if (object instanceof Protobuf.Service && envoy.kind === "service")
    compareService(object, envoy.descriptor, result);
  return result;
}

// ---- our side: the .proto files, loaded as proto-loader loads them ----

const OUR_FILES = [
  "envoy/service/ext_proc/v3/external_processor.proto",
  "envoy/extensions/filters/http/ext_proc/v3/processing_mode.proto",
  "envoy/config/core/v3/base.proto",
  "envoy/type/v3/http_status.proto",
];

function loadOurs(): OurDeclaration[] {
  const root = new Protobuf.Root();
  const originalResolvePath = root.resolvePath;
  // As proto-loader's includeDirs: our folder first; google/protobuf/* from protobufjs itself.
  root.resolvePath = (origin, target) => {
    const candidate = join(PROTO_DIR, target);
    return existsSync(candidate) ? candidate : originalResolvePath(origin, target);
  };
  root.loadSync(OUR_FILES, { keepCase: true });
  root.resolveAll();
  const declarations: OurDeclaration[] = [];
  const walk = (namespace: Protobuf.NamespaceBase) => {
    for (const object of namespace.nestedArray) {
      const file = object.filename ? relative(PROTO_DIR, object.filename) : "";
      const ours = OUR_FILES.includes(file);
      if (
        ours &&
        (object instanceof Protobuf.Type ||
          object instanceof Protobuf.Enum ||
          object instanceof Protobuf.Service)
      )
        declarations.push({ object, file });
      if (object instanceof Protobuf.Namespace || object instanceof Protobuf.Type) walk(object);
    }
  };
  walk(root);
  return declarations;
}

// ---- Envoy's side: the Go tool ----

const TOOL_DIR = resolve(__dirname, "../tools/envoy-descriptors");

const envoyDescriptorsTool = () =>
  goProgram(TOOL_DIR, "This test builds a Go program that dumps Envoy's descriptors");

// ---- the tests ----

const ours = loadOurs();
let index: Map<string, Declaration>;
let envoyFiles: FileDescriptor[];
const omitted: string[] = [];

beforeAll(() => {
  const set = JSON.parse(run(envoyDescriptorsTool(), [])) as FileDescriptorSet;
  envoyFiles = set.file;
  index = indexDescriptors(set);
});

afterAll(() => {
  if (omitted.length > 0) {
    console.info(`Envoy declares, and our subset leaves out:\n  ${omitted.join("\n  ")}`);
  }
});

describe("extproc/proto matches Envoy's descriptors", () => {
  it("declares the files and packages Envoy does", () => {
    expect(ours.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const file of OUR_FILES) {
      const envoy = envoyFiles.find(f => f.name === file);
      if (!envoy) {
        problems.push(`${file}: Envoy has no file of this name`);
        continue;
      }
      for (const { object } of ours.filter(d => d.file === file)) {
        if (!object.fullName.startsWith(`.${envoy.package}.`))
          problems.push(
            `${file}: ${object.fullName.slice(1)} is outside Envoy's package ${envoy.package}`,
          );
      }
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });

  it.each(ours.map(d => [d.object.fullName.slice(1), d] as const))("%s", (_name, declaration) => {
    const { problems, omitted: extra } = compareDeclaration(declaration, index);
    omitted.push(...extra);
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });

  it("reports a field whose number differs, naming the message and the field", () => {
    const processingRequest = ours.find(
      d => d.object.fullName === ".envoy.service.ext_proc.v3.ProcessingRequest",
    );
    const envoy = index.get(".envoy.service.ext_proc.v3.ProcessingRequest");
    if (processingRequest === undefined || envoy?.kind !== "message") throw new Error("not found");
    const altered = structuredClone(envoy);
    const field = altered.descriptor.field?.find(f => f.name === "observability_mode");
    if (field) field.number = 99;
    const alteredIndex = new Map(index).set(
      ".envoy.service.ext_proc.v3.ProcessingRequest",
      altered,
    );
    expect(compareDeclaration(processingRequest, alteredIndex).problems).toContain(
      "envoy.service.ext_proc.v3.ProcessingRequest: field observability_mode: number is 10 here, 99 in Envoy",
    );
  });
});
