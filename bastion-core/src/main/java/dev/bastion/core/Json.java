package dev.bastion.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON for Bastion: one mapper with explicit parser limits, and a canonical form.
 *
 * <p>Canonical JSON here means: UTF-8, no insignificant whitespace, object members sorted by key
 * (UTF-16 code unit order, as RFC 8785), one spelling per number (see {@code canonicalNumber}),
 * duplicate keys rejected on input. Whatever is signed or
 * hashed is written in this form, so the same value always has the same digest.
 */
public final class Json {
  /** Default limits for documents Bastion reads: attestations, requests, configuration. */
  public static final int MAX_DEPTH = 64;

  public static final int MAX_STRING_LENGTH = 16 << 20;
  public static final long MAX_DOCUMENT_LENGTH = 64L << 20;

  private static final ObjectMapper MAPPER = newMapper(MAX_DEPTH, MAX_DOCUMENT_LENGTH);

  private Json() {}

  /** A mapper with the given limits; non-finite numbers and duplicate keys are refused. */
  public static ObjectMapper newMapper(int maxDepth, long maxDocumentLength) {
    JsonMapper mapper =
        JsonMapper.builder()
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(maxDepth)
                .maxStringLength(MAX_STRING_LENGTH)
                .maxDocumentLength(maxDocumentLength)
                .maxNumberLength(100)
                .build());
    return mapper;
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /**
   * Parses a JSON document.
   *
   * @param what names the document in the error message (a file name, "request body")
   * @throws BadInputException if it is not JSON within the limits
   */
  public static JsonNode parse(byte[] data, String what) throws BadInputException {
    try {
      JsonNode node = MAPPER.readTree(data);
      if (node == null || node.isMissingNode()) {
        throw new BadInputException(what + ": empty document");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new BadInputException(what + ": not valid JSON" + where(e) + ": " + describe(e), e);
    } catch (IOException e) {
      throw new BadInputException(what + ": cannot read: " + e.getMessage(), e);
    } catch (NumberFormatException | ArithmeticException e) {
      // A number whose exponent does not fit (1e9999999999): not a value Bastion can hold.
      throw new BadInputException(what + ": a number is out of range", e);
    }
  }

  /** {@code " at line L, column C"} of a parse error, when the parser knows it. */
  public static String where(JsonProcessingException e) {
    var at = e.getLocation();
    return at == null || at.getLineNr() < 1 ? ""
        : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
  }

  /** Jackson's echo of where the input came from ("(start marker at [Source: ..."). */
  private static final Pattern SOURCE =
      Pattern.compile("\\s*\\(?(?:start marker )?at \\[Source.*", Pattern.DOTALL);

  /** The input Jackson quotes in an unrecognised token (it may hold quotes itself). */
  private static final Pattern TOKEN =
      Pattern.compile("(Unrecognized token ')(.*?)(': was expecting)", Pattern.DOTALL);

  private static final String DUPLICATE = "Duplicate field '";
  private static final Pattern LIMIT = Pattern.compile(
      "(Document nesting depth|Number value length|String value length|Document length)"
          + " \\(([0-9]+)\\) exceeds the maximum (?:allowed|length) \\(([0-9]+).*",
      Pattern.DOTALL);

  /**
   * What is wrong, in words for the person who wrote the document: Jackson's own message, but
   * not the names of its classes and settings it adds for programmers.
   */
  public static String describe(JsonProcessingException e) {
    String m = SOURCE.matcher(String.valueOf(e.getOriginalMessage())).replaceFirst("");
    // Jackson quotes up to 256 characters of the offending input: no more than any other message
    // quotes of a value (Text.SHOWN).
    m = TOKEN.matcher(m).replaceAll(q -> Matcher.quoteReplacement(q.group(1)
        + Text.clip(q.group(2)) + q.group(3)));
    if (m.startsWith(DUPLICATE)) {
      // The key as Jackson quotes it (whatever its length or quotes), cut as any value is.
      String rest = m.substring(DUPLICATE.length());
      int end = rest.indexOf("' for `");
      end = end >= 0 ? end : rest.lastIndexOf('\'');
      return "duplicate key '" + Text.clip(end >= 0 ? rest.substring(0, end) : rest) + "'";
    }
    var limit = LIMIT.matcher(m);
    if (limit.matches()) {
      return switch (limit.group(1)) {
        case "Document nesting depth" -> "nested deeper than " + limit.group(3) + " levels";
        case "Number value length" -> "a number longer than " + limit.group(3) + " characters";
        case "String value length" -> "a string longer than " + limit.group(3) + " characters";
        default -> "longer than " + limit.group(3) + " bytes";
      };
    }
    int tick = m.indexOf('`');
    if (tick >= 0) {
      // Some other message naming a class or setting ("Non-standard token 'NaN': enable `...`
      // to allow"): keep the clause before the one that names it.
      String head = m.substring(0, tick);
      int clause = Math.max(head.lastIndexOf(':'), head.lastIndexOf(';'));
      head = (clause > 0 ? head.substring(0, clause) : head).strip();
      // Nor a parenthesis the cut left open ("found after value (bound as `...`)").
      int open = head.lastIndexOf('(');
      if (open > 0 && head.indexOf(')', open) < 0) {
        head = head.substring(0, open).strip();
      }
      return head.isEmpty() ? "malformed" : head;
    }
    return m;
  }

  /** Converts any value Jackson can map to a tree. */
  public static JsonNode toTree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /** The canonical UTF-8 bytes of {@code node}. */
  public static byte[] canonical(JsonNode node) {
    return canonicalString(node).getBytes(StandardCharsets.UTF_8);
  }

  /** The canonical text of {@code node}. */
  public static String canonicalString(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(sorted(node));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a JSON tree always serialises", e);
    }
  }

  /** Indented, sorted text for people. */
  public static String pretty(JsonNode node) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(sorted(node));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a JSON tree always serialises", e);
    }
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        names.add(e.getKey());
      }
      names.sort(null);
      ObjectNode out = object();
      for (String name : names) {
        out.set(name, sorted(node.get(name)));
      }
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = array();
      for (JsonNode element : node) {
        out.add(sorted(element));
      }
      return out;
    }
    if (node.isNumber() && !node.isIntegralNumber()) {
      return canonicalNumber(node);
    }
    return node;
  }

  /**
   * Integral digits, or fraction digits, beyond which a number is written in exponent form: so
   * that every canonical number reads back under the parser's limit of 100 characters a number.
   */
  private static final int MAX_PLAIN_DIGITS = 40;

  /**
   * One spelling per value, stable under parsing: an integral value as its digits ({@code 1.0} is
   * {@code 1}), a fraction in plain decimal without trailing zeros ({@code 1.50} is {@code 1.5},
   * {@code 1e-7} is {@code 0.0000001}), and extreme magnitudes in exponent form so that a short
   * input never becomes a huge output.
   */
  private static JsonNode canonicalNumber(JsonNode node) {
    BigDecimal d;
    try {
      d = node.decimalValue().stripTrailingZeros();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a non-finite number has no JSON form", e);
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (d.signum() == 0) {
      return f.numberNode(0);
    }
    if (d.scale() <= 0 && d.precision() - d.scale() <= MAX_PLAIN_DIGITS) {
      return f.numberNode(d.toBigIntegerExact());
    }
    if (d.scale() > 0 && d.scale() <= MAX_PLAIN_DIGITS) {
      return f.rawValueNode(new RawValue(d.toPlainString()));
    }
    return f.rawValueNode(new RawValue(d.toString()));
  }

  /** A string field that must be present. */
  public static String requireText(JsonNode node, String field, String where)
      throws BadInputException {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new BadInputException(where + ": field '" + field + "' must be a string");
    }
    return value.asText();
  }

  /** Converts a JSON object of string values to a map, for messages and metadata. */
  public static Map<String, String> textMap(JsonNode node) {
    Map<String, String> out = new java.util.TreeMap<>();
    node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
