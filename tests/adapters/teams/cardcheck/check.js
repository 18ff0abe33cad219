// Parse Adaptive Card JSON documents with Microsoft's adaptivecards library (the parser Teams'
// web client is built on) and report every error and warning it raises.
// stdin: a JSON array of cards. stdout: a JSON array, one {"errors": [...], "warnings": [...]}
// per card. Parse events come from the SerializationContext; validation events from
// AdaptiveCard.validateProperties() (duplicate ids, missing required values, nesting rules).
"use strict";

const AC = require("adaptivecards/dist/adaptivecards.js");

const WARNING_EVENTS = new Set([
  AC.ValidationEvent.Hint,
  AC.ValidationEvent.Deprecated,
  AC.ValidationEvent.UnsupportedProperty,
]);

function describe(event, phase) {
  return {
    phase,
    event: AC.ValidationEvent[event.event] || String(event.event),
    message: event.message,
  };
}

function checkCard(payload) {
  const errors = [];
  const warnings = [];
  const sort = (event, phase) =>
    (WARNING_EVENTS.has(event.event) ? warnings : errors).push(describe(event, phase));

  const context = new AC.SerializationContext(new AC.Version(1, 5));
  const card = new AC.AdaptiveCard();
  card.parse(payload, context);
  for (let i = 0; i < context.eventCount; i++) {
    sort(context.getEventAt(i), "parse");
  }
  for (const event of card.validateProperties().validationEvents) {
    sort(event, "validate");
  }
  if (payload.version !== "1.5") {
    errors.push({ phase: "check", event: "Version", message: `version is ${payload.version}` });
  }
  return { errors, warnings };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(checkCard)));
});
