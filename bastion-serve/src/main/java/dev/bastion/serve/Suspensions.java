package dev.bastion.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.crypto.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The identities the extraction detector had suspended or throttled, until an admin reinstates
 * them. Kept in a file (written atomically at each change and read at start), so a restart lifts
 * nothing. Thread-safe.
 */
final class Suspensions {
  private final Optional<Path> file;
  private final Set<String> suspended = new TreeSet<>();
  private final Set<String> throttled = new TreeSet<>();

  private Suspensions(Optional<Path> file) {
    this.file = file;
  }

  /**
   * Reads {@code file} if it exists; with no file, suspensions last as long as the process.
   *
   * @throws BadInputException naming the file if it is not a suspension list
   */
  static Suspensions open(Optional<Path> file) throws BadInputException, IOException {
    Suspensions s = new Suspensions(file);
    if (file.isPresent() && Files.exists(file.get())) {
      String where = file.get().toString();
      JsonNode o = Json.parse(Files.readAllBytes(file.get()), where);
      s.read(o.path("suspended"), s.suspended, where + ": 'suspended'");
      s.read(o.path("throttled"), s.throttled, where + ": 'throttled'");
    }
    return s;
  }

  private void read(JsonNode a, Set<String> into, String where) throws BadInputException {
    if (!a.isArray()) {
      throw new BadInputException(where + " must be an array of identity names");
    }
    for (JsonNode n : a) {
      if (!n.isTextual() || !Identity.isName(n.asText())) {
        throw new BadInputException(where + " must be an array of identity names");
      }
      into.add(n.asText());
    }
  }

  synchronized boolean suspended(String identity) {
    return suspended.contains(identity);
  }

  synchronized boolean throttled(String identity) {
    return throttled.contains(identity);
  }

  /**
   * Suspends {@code identity}; kept in memory even if the file cannot be written.
   *
   * @throws IOException if the file cannot be written (the suspension holds until a restart)
   */
  synchronized void suspend(String identity) throws IOException {
    suspended.add(identity);
    save();
  }

  /**
   * Throttles {@code identity}; kept in memory even if the file cannot be written.
   *
   * @throws IOException if the file cannot be written (the throttle holds until a restart)
   */
  synchronized void throttle(String identity) throws IOException {
    throttled.add(identity);
    save();
  }

  /**
   * Lifts both for {@code identity}.
   *
   * @return whether it was suspended or throttled
   * @throws IOException if the file cannot be written; nothing is lifted then
   */
  synchronized boolean reinstate(String identity) throws IOException {
    boolean s = suspended.contains(identity);
    boolean t = throttled.contains(identity);
    if (!s && !t) {
      return false;
    }
    suspended.remove(identity);
    throttled.remove(identity);
    try {
      save();
    } catch (IOException e) {
      if (s) {
        suspended.add(identity);
      }
      if (t) {
        throttled.add(identity);
      }
      throw e;
    }
    return true;
  }

  private void save() throws IOException {
    if (file.isEmpty()) {
      return;
    }
    ObjectNode o = Json.object();
    ArrayNode s = o.putArray("suspended");
    suspended.forEach(s::add);
    ArrayNode t = o.putArray("throttled");
    throttled.forEach(t::add);
    Files.createDirectories(file.get().toAbsolutePath().getParent());
    AtomicFiles.write(file.get(), Json.canonical(o));
  }
}
