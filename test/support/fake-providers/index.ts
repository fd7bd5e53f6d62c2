/**
 * Fake AI providers for end-to-end tests of the gateway's data plane: loopback HTTP servers that
 * speak each provider's real wire format (paths, auth, bodies, streams, errors), answer
 * deterministically, and misbehave on demand. See `FakeProviderOptions` and `FakeBehaviour`.
 */
import { createAnthropicModule } from "./anthropic";
import { createBedrockModule } from "./bedrock";
import { createGeminiModule } from "./gemini";
import { createOpenAIModule } from "./openai";
import { startProviderServer } from "./server";
import type {
  FakeAwsCredentials,
  FakeProvider,
  FakeProviderKind,
  FakeProviderOptions,
  ProviderModule,
  ResolvedOptions,
} from "./types";

export type {
  FakeAwsCredentials,
  FakeBehaviour,
  FakeErrorBehaviour,
  FakeProvider,
  FakeProviderKind,
  FakeProviderOptions,
  FakeProviderRequest,
  ProviderCall,
} from "./types";
export { TOOL_TRIGGER, replyText, tokenCount, toolArguments } from "./conversation";
export { DEFAULT_EMBEDDING_DIMENSIONS } from "./embeddings";

export const FAKE_PROVIDER_KINDS: readonly FakeProviderKind[] = [
  "openai",
  "azureopenai",
  "awsbedrock",
  "gcpvertexai",
  "gcpanthropic",
  "anthropic",
];

/** The key the OpenAI, Azure OpenAI and Anthropic fakes expect unless told otherwise. */
export const FAKE_API_KEY = "sk-fake-provider-key";
/** The bearer token the Vertex AI fakes (and Azure, for Entra ID) expect unless told otherwise. */
export const FAKE_BEARER_TOKEN = "ya29.fake-provider-token";
/** The credentials the Bedrock fake verifies SigV4 against unless told otherwise. */
export const FAKE_AWS_CREDENTIALS: Readonly<FakeAwsCredentials> = {
  accessKeyId: "AKIDFAKEPROVIDER",
  secretAccessKey: "fake/provider/secret/access/key/EXAMPLE",
  region: "us-east-1",
};

function resolve(options: FakeProviderOptions): ResolvedOptions {
  return {
    apiKey: options.apiKey ?? FAKE_API_KEY,
    bearerToken: options.bearerToken ?? FAKE_BEARER_TOKEN,
    aws: options.aws ?? FAKE_AWS_CREDENTIALS,
    checkAuth: options.checkAuth ?? true,
    listedModels: options.listedModels ?? [],
    openAIPrefix: options.openAIPrefix ?? "/v1",
    chunkDelayMs: options.chunkDelayMs ?? 2,
    chunkBytes: options.chunkBytes,
  };
}

function moduleFor(kind: FakeProviderKind, options: ResolvedOptions): ProviderModule {
  switch (kind) {
    case "openai":
    case "azureopenai":
      return createOpenAIModule(kind, options);
    case "anthropic":
    case "gcpanthropic":
      return createAnthropicModule(kind);
    case "awsbedrock":
      return createBedrockModule();
    case "gcpvertexai":
      return createGeminiModule();
  }
}

/** Starts a fake `kind` provider on 127.0.0.1 with an ephemeral port. */
export async function startFakeProvider(
  kind: FakeProviderKind,
  options: FakeProviderOptions = {},
): Promise<FakeProvider> {
  const resolved = resolve(options);
  return startProviderServer(kind, moduleFor(kind, resolved), resolved);
}
