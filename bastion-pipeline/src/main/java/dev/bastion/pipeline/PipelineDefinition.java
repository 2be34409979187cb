package dev.bastion.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Text;
import dev.bastion.train.TrainParams;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A pipeline definition (YAML): the data, its schema, the columns to protect, the training
 * parameters and the model's registered name. Paths are relative to the definition file.
 *
 * @param file the definition file
 * @param digest SHA-256 of its bytes (recorded in every provenance)
 * @param name the pipeline's name
 * @param data the CSV file
 * @param delimiter the CSV file's field separator ({@code delimiter:}, default a comma)
 * @param schema the schema file
 * @param protect columns tokenised at ingestion (besides those the schema declares {@code
 *     tokenise})
 * @param purpose what the pipeline uses the data for: rows whose consent column does not list it
 *     never reach training; empty when not declared (then a data set with a consent column is
 *     refused)
 * @param train training parameters
 * @param modelName the name the model is registered under
 */
public record PipelineDefinition(
    Path file,
    Digest digest,
    String name,
    Path data,
    char delimiter,
    Path schema,
    List<String> protect,
    String purpose,
    TrainParams train,
    String modelName) {

  public PipelineDefinition {
    protect = List.copyOf(protect);
    Objects.requireNonNull(purpose);
  }

  /**
   * The YAML parser's message on one line: its statements, without the quoted source lines and
   * position markers it puts under them (the position is given apart).
   */
  static String oneLine(String message) {
    String m = String.valueOf(message).replace("java.io.CharConversionException: ", "");
    String joined = m.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
        .map(String::strip).collect(java.util.stream.Collectors.joining("; "));
    return joined.isEmpty() ? "malformed" : joined;
  }

  /**
   * Reads a definition.
   *
   * @throws BadInputException naming the file and field that is missing or wrong
   */
  public static PipelineDefinition load(Path file) throws BadInputException, IOException {
    String where = file.toString();
    byte[] bytes = InputFiles.read(file, "pipeline definition", InputFiles.MAX_DOCUMENT_BYTES);
    JsonNode root;
    YAMLFactory yaml = new YAMLFactory();
    try {
      root = new ObjectMapper(yaml).readTree(bytes);
      checkKeys(yaml, bytes, where);
    } catch (JsonProcessingException e) {
      throw new BadInputException(where + ": not valid YAML" + dev.bastion.core.Json.where(e)
          + ": " + oneLine(e.getOriginalMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException(where + ": expected a YAML mapping");
    }
    Path base = file.toAbsolutePath().getParent();
    String name = text(root, "name", where);
    Path data = base.resolve(text(root, "data", where)).normalize();
    Path schema = base.resolve(text(root, "schema", where)).normalize();
    char delimiter = ',';
    JsonNode dl = root.get("delimiter");
    if (dl != null) {
      if (!dl.isTextual()) {
        throw new BadInputException(where + ": 'delimiter' must be text: one printable ASCII"
            + " character other than '\"', or 'tab'");
      }
      try {
        delimiter = dev.bastion.data.CsvReader.Options.delimiter(dl.asText());
      } catch (BadInputException e) {
        throw new BadInputException(where + ": " + e.getMessage(), e);
      }
    }
    List<String> protect = new ArrayList<>();
    JsonNode p = root.path("protect");
    if (!p.isMissingNode()) {
      if (!p.isArray()) {
        throw new BadInputException(where + ": 'protect' must be a list of column names");
      }
      for (JsonNode x : p) {
        if (!x.isTextual()) {
          throw new BadInputException(where + ": 'protect' must be a list of column names");
        }
        protect.add(x.asText());
      }
    }
    String purpose = "";
    JsonNode pu = root.get("purpose");
    if (pu != null) {
      if (!pu.isTextual() || pu.asText().isBlank() || pu.asText().contains(";")) {
        throw new BadInputException(where + ": 'purpose' must be one word naming what the data"
            + " is used for (no ';')");
      }
      purpose = pu.asText();
    }
    JsonNode train = root.path("train");
    if (!train.isObject()) {
      throw new BadInputException(where + ": 'train' section is missing");
    }
    TrainParams params = TrainParams.fromJson(train, where);
    String model = root.path("register").path("model").asText("");
    if (model.isEmpty()) {
      throw new BadInputException(where + ": 'register.model' is missing");
    }
    if (!dev.bastion.crypto.Identity.isName(model)) {
      // Refused here, before a run stores anything, not at registration.
      throw new BadInputException(where + ": register.model '" + model
          + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
    }
    return new PipelineDefinition(
        file, Digest.of(bytes), name, data, delimiter, schema, protect, purpose, params, model);
  }

  /** The keys of a definition, by section ("" the top level): any other is refused. */
  private static final Map<String, Set<String>> KEYS = Map.of(
      "", Set.of("name", "data", "delimiter", "schema", "protect", "purpose", "train",
          "register"),
      "train", TrainParams.FIELDS,
      "register", Set.of("model"));

  /**
   * Refuses a key the format does not define, and a key given twice in one mapping, naming it
   * and its line: the YAML tree keeps the last of two values and ignores a key no one reads, so a
   * misspelt {@code epochz} would leave {@code epochs} at its default unnoticed.
   */
  private static void checkKeys(YAMLFactory yaml, byte[] bytes, String where)
      throws BadInputException, IOException {
    try (JsonParser p = yaml.createParser(bytes)) {
      Deque<Set<String>> seen = new ArrayDeque<>();
      int documents = 0;
      for (var t = p.nextToken(); t != null; t = p.nextToken()) {
        boolean top = t.isStructStart() ? p.getParsingContext().getParent().inRoot()
            : t.isScalarValue() && p.getParsingContext().inRoot();
        if (top && ++documents > 1) {
          // The tree reads the first document only: a second one would be reviewed, signed and
          // never run.
          int line = p.currentTokenLocation().getLineNr();
          throw new BadInputException(where + ": a second YAML document"
              + (line < 1 ? "" : " (line " + line + ")") + "; a definition is one document");
        }
        switch (t) {
          case START_OBJECT -> seen.push(new HashSet<>());
          case END_OBJECT -> seen.pop();
          case FIELD_NAME -> {
            JsonStreamContext in = p.getParsingContext();
            int line = p.currentTokenLocation().getLineNr();
            String at = line < 1 ? "" : " (line " + line + ")";
            if (!seen.element().add(p.currentName())) {
              throw new BadInputException(where + ": duplicate key '" + path(in) + "'" + at);
            }
            String section = section(in);
            Set<String> keys = section == null ? null : KEYS.get(section);
            if (keys != null && !keys.contains(p.currentName())) {
              throw new BadInputException(where + ": unknown key '" + path(in) + "'" + at);
            }
          }
          default -> { }
        }
      }
    }
  }

  /**
   * The section a mapping is, for {@link #KEYS}: "" the top level, the key of a mapping under it;
   * null for one elsewhere (a wrong place for a mapping, which the reading of values refuses).
   */
  private static String section(JsonStreamContext mapping) {
    JsonStreamContext up = mapping.getParent();
    if (up.inRoot()) {
      return "";
    }
    return up.inObject() && up.getParent().inRoot() ? up.getCurrentName() : null;
  }

  /** The key being read, as {@code train.epochs} (a list item as {@code [i]}), for messages. */
  private static String path(JsonStreamContext c) {
    Deque<String> parts = new ArrayDeque<>();
    for (; c != null && !c.inRoot(); c = c.getParent()) {
      parts.push(c.inArray() ? "[" + c.getCurrentIndex() + "]" : "." + c.getCurrentName());
    }
    String s = String.join("", parts);
    return Text.clip(s.startsWith(".") ? s.substring(1) : s);
  }

  private static String text(JsonNode root, String field, String where) throws BadInputException {
    JsonNode v = root.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new BadInputException(where + ": '" + field + "' is missing or not a string");
    }
    return v.asText();
  }
}
