import { describe, expect, it } from "vitest";
import { failureFields } from "../src/failure-payload.js";

describe("failureFields", () => {
  it("reads error_type and raw", () => {
    expect(failureFields({ error_type: "TIMEOUT", raw: "timed out", meta: { skill: "http" } })).toEqual({
      errorType: "TIMEOUT",
      raw: "timed out",
    });
  });

  it("falls back to error_code and error_message", () => {
    expect(failureFields({ error_code: "HTTP_503", error_message: "unavailable" })).toEqual({
      errorType: "HTTP_503",
      raw: "unavailable",
    });
  });

  it("prefers error_type over error_code and raw over error_message", () => {
    expect(failureFields({ error_type: "A", error_code: "B", raw: "r", error_message: "m" })).toEqual({
      errorType: "A",
      raw: "r",
    });
  });

  it("defaults to UNKNOWN and an empty message", () => {
    expect(failureFields({})).toEqual({ errorType: "UNKNOWN", raw: "" });
  });

  it("keeps a present empty string rather than falling back", () => {
    expect(failureFields({ error_type: "", error_code: "B", raw: "" , error_message: "m" })).toEqual({
      errorType: "",
      raw: "",
    });
  });

  it("skips keys that do not hold strings", () => {
    expect(failureFields({ error_type: null, error_code: "B", raw: 42, error_message: "m" })).toEqual({
      errorType: "B",
      raw: "m",
    });
  });
});
