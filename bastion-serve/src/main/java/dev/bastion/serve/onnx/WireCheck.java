package dev.bastion.serve.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads an ONNX {@code ModelProto} in its protobuf wire format, before ONNX Runtime sees it, and
 * refuses what Bastion does not serve: bytes that are not protobuf, tensors whose data lives in
 * another file, operators outside the standard ONNX domains, model-local functions, training
 * information, and graphs nested or sized beyond the limits below.
 *
 * <p>It keeps nothing: only the fields that can hold a tensor, a graph or an operator domain are
 * followed (field numbers from {@code onnx/onnx.proto}); everything else is skipped. A field with
 * an expected number but another wire type is skipped too, as a protobuf parser treats it as an
 * unknown field and never reads it as the message.
 */
final class WireCheck {
  /** Operator domains ONNX Runtime implements without a custom operator library. */
  static final Set<String> DOMAINS = Set.of("", "ai.onnx", "ai.onnx.ml");

  /** Subgraphs (If, Loop, Scan bodies) nested deeper than this are refused. */
  static final int MAX_GRAPH_DEPTH = 8;

  /** Nodes over all graphs of a model; classifiers exported by sklearn-onnx have a few dozen. */
  static final int MAX_NODES = 100_000;

  private final String where;
  private int nodes;
  private boolean hasGraph;
  private final Set<String> initializers = new HashSet<>();

  private WireCheck(String where) {
    this.where = where;
  }

  /**
   * Checks a model's bytes.
   *
   * @param bytes the whole {@code .onnx} file
   * @param where names the model in messages, usually its file name
   * @return the names of the main graph's initializers: older exporters also list them as graph
   *     inputs, which ONNX Runtime then reports as inputs with a default value
   * @throws BadInputException with one line naming what is refused
   */
  static Set<String> check(byte[] bytes, String where) throws BadInputException {
    WireCheck c = new WireCheck(where);
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(4 * MAX_GRAPH_DEPTH + 16);
      c.model(in);
    } catch (InvalidProtocolBufferException e) {
      String why = e.getMessage() == null ? "" : e.getMessage();
      why = why.contains("ended unexpectedly") ? "truncated, or a length is wrong"
          : oneLine(why.split("\\. ", 2)[0]);
      throw new BadInputException(where + ": not an ONNX model (malformed protobuf: " + why + ")",
          e);
    } catch (IOException e) {
      throw new BadInputException(where + ": not an ONNX model (" + oneLine(e.getMessage()) + ")",
          e);
    }
    if (!c.hasGraph) {
      throw new BadInputException(where + ": not an ONNX model (it has no graph)");
    }
    return Set.copyOf(c.initializers);
  }

  private void model(CodedInputStream in) throws IOException, BadInputException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (!delimited(tag)) {
        in.skipField(tag);
        continue;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 7 -> {
          hasGraph = true;
          message(in, () -> graph(in, 0));
        }
        case 8 -> message(in, () -> opset(in));
        case 20 -> throw refuse("carries training information (training_info); export an"
            + " inference-only model");
        case 25 -> throw refuse("defines model-local functions, which Bastion does not serve");
        default -> in.skipField(tag);
      }
    }
  }

  private void opset(CodedInputStream in) throws IOException, BadInputException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) == 1 && delimited(tag)) {
        String domain = in.readBytes().toStringUtf8();
        if (!DOMAINS.contains(domain)) {
          throw refuse("imports the operator set '" + printable(domain)
              + "', which needs custom operators; only the standard ONNX domains are served");
        }
      } else {
        in.skipField(tag);
      }
    }
  }

  private void graph(CodedInputStream in, int depth) throws IOException, BadInputException {
    if (depth >= MAX_GRAPH_DEPTH) {
      throw refuse("nests subgraphs more than " + MAX_GRAPH_DEPTH + " deep");
    }
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (!delimited(tag)) {
        in.skipField(tag);
        continue;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> message(in, () -> node(in, depth));
        case 5 -> message(in, () -> {
          String name = tensor(in);
          if (depth == 0) {
            initializers.add(name);
          }
        });
        case 15 -> message(in, () -> sparseTensor(in));
        default -> in.skipField(tag);
      }
    }
  }

  private void node(CodedInputStream in, int depth) throws IOException, BadInputException {
    if (++nodes > MAX_NODES) {
      throw refuse("has more than " + MAX_NODES + " nodes");
    }
    String opType = "";
    String domain = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (!delimited(tag)) {
        in.skipField(tag);
        continue;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 4 -> opType = in.readBytes().toStringUtf8();
        case 7 -> domain = in.readBytes().toStringUtf8();
        case 5 -> message(in, () -> attribute(in, depth));
        default -> in.skipField(tag);
      }
    }
    if (!DOMAINS.contains(domain)) {
      throw refuse("uses the operator '" + printable(opType) + "' of domain '" + printable(domain)
          + "', a custom operator; only the standard ONNX domains are served");
    }
  }

  private void attribute(CodedInputStream in, int depth) throws IOException, BadInputException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (!delimited(tag)) {
        in.skipField(tag);
        continue;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 5, 10 -> message(in, () -> {
          tensor(in);
        });
        case 6, 11 -> message(in, () -> graph(in, depth + 1));
        case 22, 23 -> message(in, () -> sparseTensor(in));
        default -> in.skipField(tag);
      }
    }
  }

  private void sparseTensor(CodedInputStream in) throws IOException, BadInputException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if ((field == 1 || field == 2) && delimited(tag)) {
        message(in, () -> {
          tensor(in);
        });
      } else {
        in.skipField(tag);
      }
    }
  }

  /** Checks a TensorProto and returns its name. */
  private String tensor(CodedInputStream in) throws IOException, BadInputException {
    String name = "";
    boolean external = false;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 8 && delimited(tag)) {
        name = in.readBytes().toStringUtf8();
      } else if (field == 13 && delimited(tag)) {
        in.skipField(tag);
        external = true;
      } else if (field == 14 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
        // DEFAULT is 0, EXTERNAL is 1; an unknown value is refused as well.
        external |= in.readRawVarint64() != 0;
      } else {
        in.skipField(tag);
      }
    }
    if (external) {
      throw refuse("tensor '" + printable(name) + "' keeps its data in an external file;"
          + " Bastion serves only self-contained models");
    }
    return name;
  }

  /** Reads one length-delimited sub-message with {@code body}, within its length. */
  private static void message(CodedInputStream in, Body body)
      throws IOException, BadInputException {
    int length = in.readRawVarint32();
    if (length < 0) {
      throw new InvalidProtocolBufferException("negative length");
    }
    int old = in.pushLimit(length);
    body.read();
    in.popLimit(old);
  }

  private static boolean delimited(int tag) {
    return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private BadInputException refuse(String what) {
    return new BadInputException(where + ": " + what);
  }

  /** A name from the file, cut short and stripped of control characters, for a message. */
  static String printable(String s) {
    return printable(s, 80);
  }

  private static String printable(String s, int max) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(max).forEach(cp -> b.appendCodePoint(Character.isISOControl(cp)
        || Character.getType(cp) == Character.FORMAT ? '?' : cp));
    return s.codePointCount(0, s.length()) > max ? b + "..." : b.toString();
  }

  static String oneLine(String s) {
    return s == null ? "unreadable" : printable(s.replace('\n', ' '), 80);
  }

  /**
   * The innermost part of ONNX Runtime's message, without its wrapping: {@code Error code -
   * ORT_FAIL - message: /src/a.cc:51 void F(int) [ONNXRuntimeError] : 1 : FAIL : b.cc:9 G What
   * went wrong} becomes {@code What went wrong}.
   */
  static String ortMessage(Throwable e) {
    String s = e.getMessage();
    if (s == null) {
      return e.getClass().getSimpleName();
    }
    // Names from the model can be in the message: cut it before any pattern looks at it.
    s = s.substring(0, Math.min(s.length(), 2000)).replace('\n', ' ').strip();
    int m = s.indexOf(" - message: ");
    if (s.startsWith("Error code - ") && m >= 0) {
      s = s.substring(m + " - message: ".length());
    }
    java.util.regex.Matcher source = SOURCE.matcher(s);
    int after = -1;
    while (source.find()) {
      after = source.end();
    }
    if (after >= 0) {
      String rest = s.substring(after);
      java.util.regex.Matcher f = FUNCTION.matcher(rest);
      s = f.lookingAt() ? rest.substring(f.end()) : rest;
    }
    return printable(s.strip(), 240);
  }

  // A C++ source location in an ONNX Runtime message: "/src/core/graph/graph.cc:1490 ".
  private static final java.util.regex.Pattern SOURCE =
      java.util.regex.Pattern.compile("\\S+\\.(?:cc|cpp|h):\\d+ ");

  // The function named after a source location: "void ns::F(const T&) const " or "Name ".
  private static final java.util.regex.Pattern FUNCTION = java.util.regex.Pattern.compile(
      "(?:[\\w:<>*&]+ )?[\\w:~<>]+\\([^)]*\\)(?: const)? |\\w+ ");

  @FunctionalInterface
  private interface Body {
    void read() throws IOException, BadInputException;
  }
}
