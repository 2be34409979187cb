package dev.bastion.train;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import dev.bastion.core.BadInputException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks the class names inside a Tribuo model protobuf before Tribuo reads it. Tribuo loads the
 * class each message names with {@code Class.forName}, which runs its static initialiser before any
 * type check; so every string in the message tree that names a class on the classpath must belong
 * to Tribuo or to its configuration library. The walk is generic (wire format), so names nested in
 * {@code Any} payloads are seen too.
 */
final class ProtoClassNames {
  private static final List<String> ALLOWED = List.of("org.tribuo.", "com.oracle.labs.mlrg.olcut.");
  private static final Pattern CLASS_NAME =
      Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)+");
  private static final int MAX_DEPTH = 40;
  private static final int MAX_NODES = 2_000_000;

  private ProtoClassNames() {}

  /**
   * @throws BadInputException naming the first class outside Tribuo the message refers to
   */
  static void check(byte[] proto, String where) throws BadInputException {
    int[] budget = {MAX_NODES};
    walk(ByteString.copyFrom(proto), 0, budget, where);
  }

  private static void walk(ByteString bytes, int depth, int[] budget, String where)
      throws BadInputException {
    if (depth > MAX_DEPTH) {
      throw new BadInputException(where + ": the model's protobuf is nested too deeply");
    }
    UnknownFieldSet set;
    try {
      set = UnknownFieldSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return; // not a message: a plain string or bytes field
    }
    for (UnknownFieldSet.Field f : set.asMap().values()) {
      for (ByteString value : f.getLengthDelimitedList()) {
        if (--budget[0] < 0) {
          throw new BadInputException(where + ": the model's protobuf is too complex");
        }
        checkString(value, where);
        walk(value, depth + 1, budget, where);
      }
      for (UnknownFieldSet group : f.getGroupList()) {
        walk(group.toByteString(), depth + 1, budget, where);
      }
    }
  }

  private static void checkString(ByteString value, String where) throws BadInputException {
    if (value.size() < 3 || value.size() > 512) {
      return;
    }
    String s;
    try {
      s = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return;
    }
    if (!CLASS_NAME.matcher(s).matches() || ALLOWED.stream().anyMatch(s::startsWith)) {
      return;
    }
    if (exists(s)) {
      throw new BadInputException(
          where + ": the model names class " + s + ", which is not a Tribuo class");
    }
  }

  /** Whether {@code name} is a class on the classpath; loads it without initialising it. */
  private static boolean exists(String name) {
    try {
      Class.forName(name, false, ProtoClassNames.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
