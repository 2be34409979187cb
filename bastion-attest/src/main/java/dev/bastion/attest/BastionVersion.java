package dev.bastion.attest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of Bastion that runs, with the source commit when the build knew it. */
public final class BastionVersion {
  private static final String VERSION = load();

  private BastionVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = BastionVersion.class.getResourceAsStream("/bastion-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      String commit = p.getProperty("commit", "");
      return commit.isBlank() || commit.startsWith("${") ? v : v + "+" + commit;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
