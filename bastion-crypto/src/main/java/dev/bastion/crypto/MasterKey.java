package dev.bastion.crypto;

import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where the local master key lives: never beside the keysets it encrypts, so a copy of {@code
 * BASTION_HOME} alone (a backup, a stolen disk image of that directory) decrypts nothing.
 *
 * <p>In order: the keyset itself in {@code BASTION_MASTER_KEY} (a Tink JSON keyset, as a secret
 * manager or an init container would inject it); a file named by {@code BASTION_MASTER_KEY_FILE};
 * otherwise a file per home under {@code $XDG_CONFIG_HOME/bastion/master-keys/} (default {@code
 * ~/.config}), named by the random id in {@code keys/home.id}, so a moved home keeps its key. The
 * system properties {@code bastion.master-key-file} and {@code bastion.master-key-dir} override the
 * file and the directory (for embedding and tests).
 */
public final class MasterKey {
  public static final String ENV_KEY = "BASTION_MASTER_KEY";
  public static final String ENV_FILE = "BASTION_MASTER_KEY_FILE";
  public static final String PROPERTY_FILE = "bastion.master-key-file";
  public static final String PROPERTY_DIR = "bastion.master-key-dir";
  private static final Pattern HOME_ID = Pattern.compile("[0-9a-f-]{36}");

  private MasterKey() {}

  /**
   * Whether the master key is a local file (no keyset in the environment, no PKCS#11 token, no KMS
   * key configured): only then is there a file whose place must be checked.
   */
  public static boolean isLocalFile() {
    return inline().isEmpty() && !Pkcs11MasterKey.configured()
        && KmsMasterKey.configuredUri().isEmpty();
  }

  /** The keyset text given in the environment, if any. */
  static Optional<String> inline() {
    String v = System.getenv(ENV_KEY);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  /**
   * The file that holds (or will hold) the master key of the key directory {@code keysDir}.
   *
   * @param create whether to create the home id if it is missing
   * @throws BadInputException if the configured file lies in the key directory; {@code Home} also
   *     refuses one anywhere inside {@code BASTION_HOME}
   */
  public static Path file(Path keysDir, boolean create) throws BadInputException, IOException {
    String configured = System.getProperty(PROPERTY_FILE, System.getenv(ENV_FILE));
    Path file;
    if (configured != null && !configured.isBlank()) {
      file = Path.of(configured).toAbsolutePath().normalize();
    } else {
      file = directory().resolve(homeId(keysDir, create) + ".json");
    }
    requireOutside(file, keysDir.toAbsolutePath().normalize());
    return file;
  }

  /**
   * @throws BadInputException if {@code file} lies inside {@code dir}
   */
  public static void requireOutside(Path file, Path dir) throws BadInputException {
    if (file.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize())) {
      throw new BadInputException(
          file + ": the master key must not be stored inside BASTION_HOME (" + dir + ")");
    }
  }

  private static Path directory() {
    String dir = System.getProperty(PROPERTY_DIR);
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir).toAbsolutePath().normalize();
    }
    String xdg = System.getenv("XDG_CONFIG_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(home(), ".config");
    return base.resolve("bastion").resolve("master-keys").toAbsolutePath().normalize();
  }

  /** The user's home: {@code $HOME} as the shell has it, else the JVM's {@code user.home}. */
  private static String home() {
    String h = System.getenv("HOME");
    return h != null && !h.isBlank() ? h : System.getProperty("user.home");
  }

  private static String homeId(Path keysDir, boolean create) throws BadInputException, IOException {
    Path idFile = keysDir.resolve("home.id");
    if (!Files.exists(idFile)) {
      if (Files.exists(keysDir.resolve("kek.json"))) {
        // Keys exist, sealed by a master key this id named (or by a token or a KMS key that is
        // not configured now): a new id would name another file.
        throw new BadInputException(idFile + ": missing from a key directory that holds keys;"
            + " restore it (it names the master key file) or set " + ENV_FILE + "; if a PKCS#11"
            + " token or a KMS key seals them, set BASTION_PKCS11_CONFIG or BASTION_KMS_KEY_URI");
      }
      if (!create) {
        throw new BadInputException(idFile + ": missing; run 'bastion init'");
      }
      AtomicFiles.write(idFile, (UUID.randomUUID() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    String id = Files.readString(idFile, StandardCharsets.UTF_8).strip();
    if (!HOME_ID.matcher(id).matches()) {
      throw new BadInputException(idFile + ": not a home id");
    }
    return id;
  }

  /**
   * Refuses a master key file that others than its owner may read or write (on a POSIX file
   * system; elsewhere there is nothing to check): it opens every key of the home.
   */
  static void requireOwnerOnly(Path file) throws BadInputException, IOException {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return;
    }
    Set<PosixFilePermission> others = EnumSet.noneOf(PosixFilePermission.class);
    others.addAll(perms);
    others.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE));
    if (!others.isEmpty()) {
      throw new BadInputException(file + ": the master key is open to others (mode "
          + PosixFilePermissions.toString(perms) + "); make it owner-only: chmod 600 " + file);
    }
  }

  /** Makes the directory of {@code file} owner-only when it is created here. */
  static void prepareDirectory(Path file) throws IOException {
    Path dir = file.getParent();
    if (dir != null && !Files.exists(dir)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the file itself is still written owner-only where possible.
      }
    }
  }
}
