import { describe, expect, test } from "vitest";
import { parseCsv } from "~/cli/csv";

describe("parseCsv", () => {
  test("plain rows with LF", () => {
    expect(parseCsv("username,email,phone\nann,ann@example.test,\n")).toEqual([
      ["username", "email", "phone"],
      ["ann", "ann@example.test", ""],
    ]);
  });

  test("quoted fields keep commas, doubled quotes and line breaks", () => {
    expect(parseCsv('a,"b, c","say ""hi""","two\nlines"\n')).toEqual([["a", "b, c", 'say "hi"', "two\nlines"]]);
    expect(parseCsv('"",x\n')).toEqual([["", "x"]]);
  });

  test("CRLF line ends, with or without a final line end", () => {
    expect(parseCsv("h1,h2\r\nv1,v2\r\n")).toEqual([
      ["h1", "h2"],
      ["v1", "v2"],
    ]);
    expect(parseCsv("h1,h2\r\nv1,v2")).toEqual([
      ["h1", "h2"],
      ["v1", "v2"],
    ]);
    expect(parseCsv('"a\r\nb",c\r\n')).toEqual([["a\r\nb", "c"]]);
  });

  test("a UTF-8 byte-order mark is dropped from the first field", () => {
    const rows = parseCsv("\uFEFFusername,email\r\nbob,bob@example.test\r\n");
    expect(rows[0][0]).toBe("username");
    expect(rows).toEqual([
      ["username", "email"],
      ["bob", "bob@example.test"],
    ]);
  });

  test("blank lines come back as a single empty field; empty input is no rows", () => {
    expect(parseCsv("a\n\nb\n")).toEqual([["a"], [""], ["b"]]);
    expect(parseCsv("")).toEqual([]);
  });
});
