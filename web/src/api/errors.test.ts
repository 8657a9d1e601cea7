import { describe, expect, it } from "vitest";

import { ApiError, detailOf, fieldProblem, formProblem, problemsOf } from "./errors";

const TWO_PROBLEMS = {
  detail: "The email address is not valid: an email address must have an @-sign. The role must be 'admin' or 'member'.",
  errors: [
    {
      loc: ["body", "email"],
      type: "value_error",
      msg: "value is not a valid email address: An email address must have an @-sign.",
      field: "email",
      message: "The email address is not valid: an email address must have an @-sign.",
    },
    {
      loc: ["body", "role"],
      type: "literal_error",
      msg: "x",
      field: "role",
      message: "The role must be 'admin' or 'member'.",
    },
  ],
};

function refusal(body: unknown, status = 422) {
  return new ApiError(status, detailOf(body, status), problemsOf(body));
}

describe("a 422's problems", () => {
  it("map to their fields, each with the server's sentence", () => {
    const error = refusal(TWO_PROBLEMS);
    expect(fieldProblem(error, "email")).toBe("The email address is not valid: an email address must have an @-sign.");
    expect(fieldProblem(error, "role")).toBe("The role must be 'admin' or 'member'.");
    expect(fieldProblem(error, "name")).toBeUndefined();
  });

  it("leave above the form only what no field shows", () => {
    const error = refusal(TWO_PROBLEMS);
    expect(formProblem(error, ["email"])).toBe("The role must be 'admin' or 'member'.");
    expect(formProblem(error, ["email", "role"])).toBeNull();
    expect(formProblem(new ApiError(409, "The slug 'acme' is taken; choose another."), ["slug"])).toBe(
      "The slug 'acme' is taken; choose another.",
    );
  });

  it("say our own checks without the field's code name", () => {
    const body = {
      detail: "addresses: a slack channel has a URL, not addresses.",
      errors: [
        {
          loc: ["addresses"],
          type: "invalid",
          msg: "",
          field: "addresses",
          message: "A slack channel has a URL, not addresses.",
        },
      ],
    };
    expect(detailOf(body, 422)).toBe("A slack channel has a URL, not addresses.");
  });

  it("belong to a field's parts too (schedule.at is the schedule's)", () => {
    const error = refusal({
      detail: "x",
      errors: [
        {
          loc: ["body", "schedule", "at"],
          msg: "Bad time",
          field: "schedule.at",
          message: "The time of day must be HH:MM.",
        },
      ],
    });
    expect(fieldProblem(error, "schedule")).toBe("The time of day must be HH:MM.");
  });

  it("still map pydantic's own locations from a server without sentences", () => {
    const error = refusal({
      detail: "Invalid",
      errors: [{ loc: ["body", "name"], msg: "String should have at most 100 characters" }],
    });
    expect(error.problems).toEqual([{ field: "name", message: "String should have at most 100 characters" }]);
    expect(error.detail).toBe("Invalid");
  });
});
