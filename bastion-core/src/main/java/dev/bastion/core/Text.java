package dev.bastion.core;

/** Untrusted text made fit for a one-line message. */
public final class Text {
  /** Code points of a value shown in a message; more are cut and marked with "...". */
  public static final int SHOWN = 40;

  private Text() {}

  /**
   * At most {@value #SHOWN} code points of {@code s}, then "..." if it was longer; control and
   * format characters shown as '?', so that a value from a request or a file can neither make a
   * message long (a reflected megabyte) nor break it over lines.
   */
  public static String clip(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), SHOWN + 3));
    int shown = 0;
    for (int i = 0; i < s.length(); ) {
      if (shown == SHOWN) {
        return b.append("...").toString();
      }
      int cp = s.codePointAt(i);
      b.appendCodePoint(Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
          ? '?' : cp);
      shown++;
      i += Character.charCount(cp);
    }
    return b.toString();
  }
}
