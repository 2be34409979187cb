package dev.bastion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JsonTest {
  private static final long SEED = 0x15_0A_CA_70L;
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private static JsonNode parse(String text) throws BadInputException {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8), "test.json");
  }

  // ---- canonical form ----

  static Stream<Arguments> parseErrors() {
    return Stream.of(
        Arguments.of("{\"a\":1,\"a\":2}", "doc: not valid JSON at line 1, column ",
            ": duplicate key 'a'"),
        // A long key, or one with quotes, is cut as any value in a message is.
        Arguments.of("{\"" + "k".repeat(1000) + "\":1,\"" + "k".repeat(1000) + "\":2}",
            "doc: not valid JSON at line 1, column ", ": duplicate key '" + "k".repeat(40)
                + "...'"),
        Arguments.of("{\"it's\":1,\"it's\":2}", "doc: not valid JSON at line 1, column ",
            ": duplicate key 'it's'"),
        Arguments.of("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1),
            "doc: not valid JSON", ": nested deeper than 64 levels"),
        Arguments.of("[" + "1".repeat(101) + "]", "doc: not valid JSON",
            ": a number longer than 100 characters"),
        Arguments.of("{\"a\":\n  NaN}", "doc: not valid JSON at line 2, column ",
            "token 'NaN'"),
        Arguments.of("{\"a\":1} x", "doc: not valid JSON at line 1, column ", ""),
        Arguments.of("{", "doc: not valid JSON at line 1, column ",
            ": Unexpected end-of-input: expected close marker for Object"),
        Arguments.of("[1,\n", "doc: not valid JSON at line 2, column ",
            "Unexpected end-of-input within/between Array entries"),
        // A long token is quoted as any value in a message is: 40 characters and "...".
        Arguments.of("x".repeat(500), "doc: not valid JSON at line 1, column ",
            ": Unrecognized token '" + "x".repeat(40) + "...': was expecting (JSON String, Number,"
                + " Array, Object or token 'null', 'true' or 'false')"),
        Arguments.of("{\"a\":" + "y".repeat(300) + "}", "doc: not valid JSON at line 1, column ",
            ": Unrecognized token '" + "y".repeat(40) + "...': was expecting (JSON String, Number,"
                + " Array, Object or token 'null', 'true' or 'false')"),
        // A short token is quoted whole, and Jackson's own words are left alone.
        Arguments.of("x", "doc: not valid JSON at line 1, column ",
            ": Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or"
                + " token 'null', 'true' or 'false')"),
        // A clause the cut leaves open is dropped with its parenthesis.
        Arguments.of("{\"a\":1}{\"b\":2}", "doc: not valid JSON at line 1, column ",
            ": Trailing token (of type START_OBJECT) found after value"));
  }

  @ParameterizedTest
  @MethodSource("parseErrors")
  void parseErrorsSayWhereAndWhatWithoutTheParsersInternals(String doc, String start,
      String end) {
    assertThatThrownBy(() -> Json.parse(doc.getBytes(StandardCharsets.UTF_8), "doc"))
        .isInstanceOf(BadInputException.class)
        .satisfies(e -> assertThat(e.getMessage()).startsWith(start).endsWith(end)
            .doesNotContain("`").doesNotContain("StreamReadConstraints")
            .doesNotContain("DeserializationFeature").doesNotContain("ObjectNode")
            .doesNotContain("[Source").doesNotContain("start marker"));
  }

  @Test
  void canonicalSortsKeysRecursivelyWithoutWhitespace() throws BadInputException {
    JsonNode n =
        parse(
            """
            {
              "b" : 1,
              "a" : { "d" : [ { "z" : true, "y" : [ { "q" : 1, "p" : 2 } ] } ], "c" : null },
              "aa" : "x y"
            }
            """);

    assertThat(Json.canonicalString(n))
        .isEqualTo("{\"a\":{\"c\":null,\"d\":[{\"y\":[{\"p\":2,\"q\":1}],\"z\":true}]},\"aa\":\"x y\",\"b\":1}");
    assertThat(Json.canonical(n))
        .isEqualTo(Json.canonicalString(n).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void canonicalOrderIsUtf16CodeUnitOrder() throws BadInputException {
    // RFC 8785 sorts by UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts before U+E000,
    // although its code point is larger; uppercase sorts before lowercase; "" comes first.
    ObjectNode o = Json.object();
    o.put("\uE000", 1);
    o.put("\uD83D\uDE00", 2);
    o.put("b", 3);
    o.put("B", 4);
    o.put("", 5);
    o.put("\u00e9", 6);

    String canonical = Json.canonicalString(o);

    assertThat(canonical)
        .isEqualTo("{\"\":5,\"B\":4,\"b\":3,\"\u00e9\":6,\"\uD83D\uDE00\":2,\"\uE000\":1}");
    assertThat(parse(canonical)).isEqualTo(o);
  }

  @Test
  void canonicalDoesNotChangeItsInput() {
    ObjectNode o = Json.object();
    o.put("b", 1);
    o.put("a", 2);

    Json.canonical(o);

    assertThat(o.fieldNames()).toIterable().containsExactly("b", "a");
  }

  @Test
  void canonicalIsIndependentOfInsertionOrder() {
    Random r = new Random(SEED);
    List<String> differ = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      JsonNode tree = randomTree(r, 5);
      JsonNode shuffled = shuffled(tree, new Random(SEED + i));
      if (!Json.canonicalString(tree).equals(Json.canonicalString(shuffled))) {
        differ.add("tree " + i + ": " + Json.canonicalString(tree));
      }
    }
    assertThat(differ).isEmpty();
  }

  // ---- round trip over random trees ----

  static Stream<Arguments> randomTrees() {
    Random r = new Random(SEED);
    return IntStream.range(0, 200).mapToObj(i -> Arguments.of(i, randomTree(r, 6)));
  }

  @ParameterizedTest(name = "tree {0}")
  @MethodSource("randomTrees")
  void parseOfCanonicalIsTheIdentity(int caseNo, JsonNode tree) throws BadInputException {
    byte[] canonical = Json.canonical(tree);

    JsonNode back = Json.parse(canonical, "tree " + caseNo);

    assertThat(back).isEqualTo(tree);
    assertThat(Json.canonical(back)).isEqualTo(canonical);
    assertThat(Json.canonical(parse(Json.pretty(tree)))).isEqualTo(canonical);
  }

  /** A random tree whose node types are the ones {@link Json#parse} produces for its text. */
  static JsonNode randomTree(Random r, int depth) {
    int kind = depth == 0 ? r.nextInt(6) : r.nextInt(8);
    return switch (kind) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(r.nextBoolean());
      case 2 -> F.textNode(randomString(r, 12));
      case 3 -> randomNumber(r);
      case 4 -> F.numberNode(randomDecimal(r));
      case 5 -> F.textNode("");
      case 6 -> {
        ArrayNode a = F.arrayNode();
        for (int i = r.nextInt(5); i > 0; i--) {
          a.add(randomTree(r, depth - 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = F.objectNode();
        for (int i = r.nextInt(6); i > 0; i--) {
          o.set(randomString(r, 6), randomTree(r, depth - 1));
        }
        yield o;
      }
    };
  }

  private static JsonNode randomNumber(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> F.numberNode(r.nextInt());
      case 1 -> {
        long v = r.nextLong();
        yield v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? F.numberNode((int) v) : F.numberNode(v);
      }
      default -> F.numberNode(BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.valueOf(r.nextLong(2, Long.MAX_VALUE))));
    };
  }

  /**
   * A non-integral decimal without trailing zeros: the form the parser itself produces (Jackson
   * strips trailing zeros of parsed decimals). See {@link #canonicalNumbersAreStableUnderParse}.
   */
  private static BigDecimal randomDecimal(Random r) {
    while (true) {
      BigDecimal d =
          new BigDecimal(BigInteger.valueOf(r.nextLong()), r.nextInt(1, 20)).stripTrailingZeros();
      if (d.scale() > 0) {
        return d;
      }
    }
  }

  /** Strings that exercise escaping: quotes, backslashes, controls, non-BMP, separators. */
  static String randomString(Random r, int maxLength) {
    int[] special = {'"', '\\', '/', '\n', '\t', 0, 0x1f, 0x7f, 0x2028, 0xfeff, 0x1F600, 0xe9, ' '};
    StringBuilder b = new StringBuilder();
    for (int i = r.nextInt(maxLength + 1); i > 0; i--) {
      int cp =
          switch (r.nextInt(4)) {
            case 0 -> special[r.nextInt(special.length)];
            case 1 -> r.nextInt(0x20, 0x7f);
            case 2 -> r.nextInt(0xa0, 0xd800);
            default -> r.nextInt(0x10000, 0x110000);
          };
      b.appendCodePoint(cp);
    }
    return b.toString();
  }

  private static JsonNode shuffled(JsonNode n, Random r) {
    if (n.isObject()) {
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      n.properties().forEach(entries::add);
      Collections.shuffle(entries, r);
      ObjectNode o = F.objectNode();
      entries.forEach(e -> o.set(e.getKey(), shuffled(e.getValue(), r)));
      return o;
    }
    if (n.isArray()) {
      ArrayNode a = F.arrayNode();
      n.forEach(e -> a.add(shuffled(e, r)));
      return a;
    }
    return n;
  }

  static Stream<Arguments> numbersBuiltInMemory() {
    return Stream.of(
        Arguments.of("double 1.0", F.numberNode(1.0d)),
        Arguments.of("double 1e-7", F.numberNode(1e-7d)),
        Arguments.of("double 1e20", F.numberNode(1e20d)),
        Arguments.of("the largest double", F.numberNode(Double.MAX_VALUE)),
        Arguments.of("the most negative double", F.numberNode(-Double.MAX_VALUE)),
        Arguments.of("the smallest double", F.numberNode(Double.MIN_VALUE)),
        Arguments.of("double 1e-300", F.numberNode(1e-300d)),
        Arguments.of("decimal 1.50", F.numberNode(new BigDecimal("1.50"))),
        Arguments.of("decimal 2.0", F.numberNode(new BigDecimal("2.0"))));
  }

  /**
   * "The same value always has the same digest": a number written in canonical form must read back
   * to the same canonical bytes, however it was built in memory (1.0, 1.50, 1.0E-7).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("numbersBuiltInMemory")
  void canonicalNumbersAreStableUnderParse(String what, JsonNode number) throws BadInputException {
    ArrayNode doc = Json.array().add(number);
    byte[] canonical = Json.canonical(doc);

    assertThat(new String(Json.canonical(Json.parse(canonical, what)), StandardCharsets.UTF_8))
        .isEqualTo(new String(canonical, StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "[1e999999999] | [1E+999999999]",
        "[-1.5e-99999] | [-1.5E-99999]",
        "[123.4500] | [123.45]",
        "[2.50e2] | [250]",
        "[0.000] | [0]",
        "[1e-7] | [0.0000001]",
        "[1e39] | [1000000000000000000000000000000000000000]",
        "[1e40] | [1E+40]",
        "[1e-41] | [1E-41]",
        "[1.7976931348623157e308] | [1.7976931348623157E+308]",
      })
  void extremeAndTrailingZeroNumbersHaveOneShortSpelling(String input, String expected)
      throws BadInputException {
    byte[] once = Json.canonical(Json.parse(input.getBytes(StandardCharsets.UTF_8), "test"));
    assertThat(new String(once, StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(Json.canonical(Json.parse(once, "again"))).isEqualTo(once);
  }

  // ---- what parse refuses ----

  static Stream<Arguments> badDocuments() {
    return Stream.of(
        Arguments.of("duplicate key", "{\"a\":1,\"a\":2}"),
        Arguments.of("duplicate key, same value", "{\"a\":1,\"a\":1}"),
        Arguments.of("nested duplicate key", "{\"x\":[{\"b\":1,\"c\":0,\"b\":2}]}"),
        Arguments.of("NaN", "{\"a\":NaN}"),
        Arguments.of("Infinity", "[Infinity]"),
        Arguments.of("-Infinity", "[-Infinity]"),
        Arguments.of("bare NaN", "NaN"),
        Arguments.of("trailing object", "{} {}"),
        Arguments.of("trailing garbage", "{\"a\":1}x"),
        Arguments.of("trailing number", "1 2"),
        Arguments.of("trailing bracket", "[1]]"),
        Arguments.of("empty", ""),
        Arguments.of("whitespace only", "  \n "),
        Arguments.of("unterminated", "{\"a\":"),
        Arguments.of("single quotes", "{'a':1}"),
        Arguments.of("unquoted key", "{a:1}"),
        Arguments.of("comment", "// c\n{}"),
        Arguments.of("trailing comma", "[1,]"),
        Arguments.of("leading zero", "[01]"),
        Arguments.of("raw control character", "[\"a\u0001b\"]"),
        Arguments.of("number longer than the limit", "[" + "1".repeat(1000) + "]"),
        Arguments.of("arrays one deeper than MAX_DEPTH", nested(Json.MAX_DEPTH + 1, "[", "]")),
        Arguments.of(
            "objects one deeper than MAX_DEPTH", nested(Json.MAX_DEPTH + 1, "{\"k\":", "}", "0")),
        Arguments.of("very deep", nested(100_000, "[", "]")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badDocuments")
  void parseRejects(String what, String text) {
    assertThatThrownBy(() -> parse(text))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("test.json: ");
  }

  @Test
  void parseRejectsInvalidUtf8() {
    byte[] bad = {'[', '"', (byte) 0xc3, '"', ']'};

    assertThatThrownBy(() -> Json.parse(bad, "bad.json")).isInstanceOf(BadInputException.class);
  }

  @Test
  void nestingUpToMaxDepthIsAccepted() throws BadInputException {
    JsonNode arrays = parse(nested(Json.MAX_DEPTH, "[", "]"));
    JsonNode objects = parse(nested(Json.MAX_DEPTH, "{\"k\":", "}", "0"));

    assertThat(depth(arrays)).isEqualTo(Json.MAX_DEPTH);
    assertThat(depth(objects)).isEqualTo(Json.MAX_DEPTH);
  }

  @Test
  void newMapperAppliesItsOwnLimits() throws Exception {
    var mapper = Json.newMapper(3, 1000);

    assertThat(mapper.readTree(nested(3, "[", "]"))).isNotNull();
    assertThatThrownBy(() -> mapper.readTree(nested(4, "[", "]")))
        .hasMessageContaining("depth");
    assertThatThrownBy(() -> mapper.readTree("[\"" + "x".repeat(2000) + "\"]"))
        .hasMessageContaining("length");
  }

  private static String nested(int depth, String open, String close) {
    return nested(depth, open, close, "");
  }

  private static String nested(int depth, String open, String close, String inner) {
    return open.repeat(depth) + inner + close.repeat(depth);
  }

  private static int depth(JsonNode n) {
    int d = 0;
    for (JsonNode c : n) {
      d = Math.max(d, depth(c));
    }
    return n.isContainerNode() ? d + 1 : 0;
  }

  // ---- small helpers ----

  @Test
  void requireTextReadsStringsOnly() throws BadInputException {
    JsonNode o = parse("{\"s\":\"v\",\"n\":1,\"z\":null}");

    assertThat(Json.requireText(o, "s", "doc")).isEqualTo("v");
    for (String field : List.of("n", "z", "missing")) {
      assertThatThrownBy(() -> Json.requireText(o, field, "doc"))
          .isInstanceOf(BadInputException.class)
          .hasMessage("doc: field '" + field + "' must be a string");
    }
  }

  @Test
  void textMapIsSorted() throws BadInputException {
    assertThat(Json.textMap(parse("{\"b\":\"2\",\"a\":\"1\"}")))
        .containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
  }
}
