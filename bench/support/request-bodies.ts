/**
 * Representative OpenAI client bodies for the translator benchmark, about 4 KB each: what an agent
 * framework sends mid-conversation (system prompt, a few turns, a tool call and its result, tools
 * with JSON schemas), an embeddings batch, and a legacy completions prompt.
 */

const SYSTEM_PROMPT = [
  "You are Atlas, the operations assistant for the platform team at Example Corp.",
  "Answer concisely and cite the runbook section you relied on. When a question needs live data",
  "(cluster state, weather at a data-centre site, on-call schedules) call the matching tool",
  "instead of guessing, and never invent resource names. Prefer kubectl commands the reader can",
  "copy; explain flags only when they are unusual. If a tool fails, say so and suggest a manual",
  "check. Escalate to the on-call engineer for anything touching production databases.",
].join(" ");

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_pod_status",
      description:
        "Lists pods in a namespace with their phase, restart count and the reason for the last termination.",
      parameters: {
        type: "object",
        properties: {
          namespace: { type: "string", description: "Kubernetes namespace, e.g. payments" },
          label_selector: {
            type: "string",
            description: "Optional label selector, e.g. app=checkout,tier=api",
          },
          include_terminated: {
            type: "boolean",
            description: "Also list pods in phase Succeeded or Failed.",
            default: false,
          },
        },
        required: ["namespace"],
        additionalProperties: false,
      },
    },
  },
  {
    type: "function",
    function: {
      name: "get_site_weather",
      description: "Current weather at a data-centre site, for cooling and access planning.",
      parameters: {
        type: "object",
        properties: {
          site: { type: "string", enum: ["zrh1", "fra2", "iad3", "sin1"] },
          units: { type: "string", enum: ["metric", "imperial"], default: "metric" },
        },
        required: ["site"],
        additionalProperties: false,
      },
    },
  },
  {
    type: "function",
    function: {
      name: "page_on_call",
      description: "Pages the on-call engineer of a team with a short summary and a severity.",
      parameters: {
        type: "object",
        properties: {
          team: { type: "string", description: "Team slug from the service catalogue" },
          severity: { type: "string", enum: ["sev1", "sev2", "sev3"] },
          summary: { type: "string", maxLength: 280 },
          links: { type: "array", items: { type: "string", format: "uri" }, maxItems: 5 },
        },
        required: ["team", "severity", "summary"],
        additionalProperties: false,
      },
    },
  },
];

const POD_STATUS_RESULT = JSON.stringify({
  namespace: "payments",
  pods: [
    { name: "checkout-7d9f8c6b5-4xk2p", phase: "Running", restarts: 0 },
    {
      name: "checkout-7d9f8c6b5-9zq7m",
      phase: "Running",
      restarts: 7,
      last_termination: {
        reason: "OOMKilled",
        exit_code: 137,
        finished_at: "2025-05-02T09:41:17Z",
      },
    },
    { name: "checkout-7d9f8c6b5-tm3vd", phase: "Running", restarts: 0 },
    { name: "ledger-sync-5b7c9d4f8-2wq8r", phase: "Running", restarts: 1 },
  ],
});

/** A mid-conversation chat request with tools, streaming with usage, about 4 KB as JSON. */
export const chatBody = {
  model: "gpt-4o-2024-08-06",
  stream: true,
  stream_options: { include_usage: true },
  temperature: 0.2,
  max_completion_tokens: 1024,
  tool_choice: "auto",
  user: "u-4821",
  tools: TOOLS,
  messages: [
    { role: "system", content: SYSTEM_PROMPT },
    {
      role: "user",
      content:
        "Morning! The checkout service paged twice overnight for elevated 5xx. Can you see what is going on in the payments namespace?",
    },
    {
      role: "assistant",
      content: "Let me look at the checkout pods first.",
      tool_calls: [
        {
          id: "call_8kR2fQx1",
          type: "function",
          function: {
            name: "get_pod_status",
            arguments: JSON.stringify({ namespace: "payments", label_selector: "app=checkout" }),
          },
        },
      ],
    },
    { role: "tool", tool_call_id: "call_8kR2fQx1", content: POD_STATUS_RESULT },
    {
      role: "assistant",
      content:
        "One checkout replica (checkout-7d9f8c6b5-9zq7m) has restarted 7 times, last at 09:41 UTC, killed for running out of memory (exit code 137). The other two replicas are healthy, which matches intermittent 5xx: requests routed to the restarting pod fail while it comes back. Runbook §4.2 (memory pressure) applies: check its memory limit against actual usage with `kubectl top pod -n payments` and look for a leak in the latest release before raising the limit.",
    },
    {
      role: "user",
      content: [
        {
          type: "text",
          text: "Thanks. The limit is 512Mi and it peaks around 600Mi since yesterday's deploy. Should I roll back, and who should I tell?",
        },
      ],
    },
    {
      role: "assistant",
      content:
        "Rolling back is the safer first step: the growth started with yesterday's deploy, and a rollback restores the known-good memory profile without guessing at a new limit. Run `kubectl rollout undo deployment/checkout -n payments`, then watch restarts for 15 minutes. Tell the payments team; shall I page their on-call with a summary?",
    },
    { role: "user", content: "Yes, page them as sev3 and link the dashboard." },
  ],
};

const PASSAGES = [
  "Runbook 4.2 Memory pressure: when a pod is OOMKilled repeatedly, compare its limit with the p99 working set over the last day before raising it.",
  "Rollbacks: `kubectl rollout undo` restores the previous ReplicaSet; check the rollout history first so you know which revision you return to.",
  "Paging policy: sev1 pages the primary and secondary on-call at once; sev2 pages the primary; sev3 opens a ticket and notifies during business hours.",
  "Data-centre sites zrh1 and fra2 share a cooling vendor; schedule maintenance on one site at a time and never during a heat warning.",
  "The checkout service depends on ledger-sync for idempotency keys; a ledger-sync restart can surface as duplicate-order errors for a few seconds.",
  "Dashboards: the payments overview shows 5xx by route, saturation by pod and the deploy markers; start there before opening individual pod logs.",
];

/** An embeddings batch of runbook passages, about 4 KB as JSON. */
export const embeddingsBody = {
  model: "text-embedding-3-small",
  encoding_format: "float",
  dimensions: 1536,
  user: "u-4821",
  input: [
    ...PASSAGES,
    ...PASSAGES.map(passage => `Summary: ${passage}`),
    ...PASSAGES.map(passage => `Related runbook excerpt for the on-call engineer: ${passage}`),
    ...PASSAGES.map(
      (passage, i) => `Runbook chapter 4, excerpt ${i + 1} of ${PASSAGES.length}. ${passage}`,
    ),
  ],
};

/** A legacy completions request with a few-shot prompt, about 4 KB as JSON. */
export const completionsBody = {
  model: "gpt-3.5-turbo-instruct",
  max_tokens: 256,
  temperature: 0.3,
  stop: ["\n\n###"],
  prompt: [
    "Classify each incident summary as one of: capacity, deploy, dependency, network, unknown.",
    ...PASSAGES.flatMap((passage, i) => [
      `###\nIncident ${i + 1}: ${passage}\nCategory: ${["capacity", "deploy", "unknown", "capacity", "dependency", "unknown"][i]}`,
    ]),
    ...PASSAGES.map(
      (passage, i) =>
        `###\nIncident ${i + 7} (reported by the on-call): ${passage}\nCategory: unknown`,
    ),
    ...PASSAGES.map(
      (passage, i) =>
        `###\nIncident ${i + 13} (from the weekly review): ${passage}\nCategory: unknown`,
    ),
    "###\nIncident 19: checkout replica OOMKilled seven times since yesterday's deploy; other replicas healthy.\nCategory:",
  ].join("\n"),
};

/** A reasoning block as a client sends it back: ~1 KB of thought and an opaque signature. */
const thought = (text: string, n: number) => ({
  type: "thinking",
  thinking: text,
  signature: `${"RXNpZ25hdHVyZQ".repeat(16)}${n}`,
});

/**
 * `chatBody` with reasoning on: `reasoning_effort`, and each assistant turn replayed with the
 * reasoning blocks (text and signature) we returned for it, the way reasoning clients send history.
 * About 6 KB as JSON, most of it reasoning the translators must carry through unchanged.
 */
export const reasoningChatBody = {
  ...chatBody,
  max_completion_tokens: 20_000,
  temperature: undefined,
  reasoning_effort: "high",
  messages: chatBody.messages.map((message, i) =>
    message.role === "assistant"
      ? {
          ...message,
          thinking_blocks: [
            thought(
              "The user reports elevated 5xx on checkout overnight. Before answering I should look at pod health in the payments namespace, then correlate restarts with the deploy markers. ".repeat(
                2,
              ),
              i,
            ),
          ],
        }
      : message,
  ),
};
