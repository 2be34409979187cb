package dev.bastion.cli;

import dev.bastion.core.BastionException;
import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bastion} command. Exit codes: 0 success; 1 a check failed (validation, gate,
 * signature, ledger); 2 bad usage or bad input, or a file that cannot be read or written; 70
 * an internal error (a bug).
 */
@Command(
    name = "bastion",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A secure AI pipeline engine: gated, signed, encrypted, logged.",
    subcommands = {
      InitCommand.class,
      DemoCommand.class,
      RunCommand.class,
      ApproveCommand.class,
      ServeCommand.class,
      AuditCommand.class,
      WitnessCommand.class,
      RegistryCommand.class,
      VerifyChainCommand.class,
      EvidenceCommand.class,
      KeysCommand.class,
      IdentityCommand.class,
      TokenCommand.class,
      DataCommand.class,
      ModelCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit code for an error that is a bug in Bastion. */
  public static final int INTERNAL_ERROR = 70;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** One line for an I/O failure: what failed, on which file, and why. */
  static String ioMessage(java.io.IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return "cannot read or write " + n.getFile() + ": no such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return "cannot read or write " + a.getFile() + ": permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
      return "cannot read or write " + f.getFile()
          + (f.getReason() == null ? "" : ": " + f.getReason());
    }
    return e.getMessage() == null ? "an I/O error: " + e.getClass().getSimpleName()
        : e.getMessage();
  }

  /** The command line, with Bastion's error handling. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    addHelp(cl);
    // A wrong option or value: one line that says what, and where to look; not the whole usage.
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine at = ex.getCommandLine();
      PrintWriter err = at.getErr();
      err.println("bastion: " + ex.getMessage() + " (see '"
          + at.getCommandSpec().qualifiedName() + " --help')");
      err.flush();
      return at.getCommandSpec().exitCodeOnInvalidInput();
    });
    cl.setExecutionExceptionHandler(
        (ex, line, parseResult) -> {
          PrintWriter err = line.getErr();
          if (ex instanceof BastionException b) {
            err.println("bastion: " + b.getMessage());
            err.flush();
            return b.exitCode();
          }
          java.io.IOException io = ex instanceof java.io.IOException e ? e
              : ex instanceof java.io.UncheckedIOException u ? u.getCause() : null;
          if (io != null) {
            // A file that cannot be read or written (permissions, a full disk, a missing
            // directory): the environment's, not a bug; one line naming it.
            err.println("bastion: " + ioMessage(io));
            err.flush();
            return 2;
          }
          err.println("bastion: internal error: " + ex);
          if (System.getenv("BASTION_DEBUG") != null) {
            ex.printStackTrace(err);
          } else {
            err.println("bastion: set BASTION_DEBUG=1 for details; this is a bug");
          }
          err.flush();
          return INTERNAL_ERROR;
        });
    return cl;
  }

  /** Gives {@code --help} (and {@code -h} where it is free) to every command. */
  private static void addHelp(CommandLine c) {
    CommandLine.Model.CommandSpec spec = c.getCommandSpec();
    if (spec.findOption("--help") == null) {
      String[] names = spec.findOption("-h") == null ? new String[] {"-h", "--help"}
          : new String[] {"--help"};
      spec.addOption(CommandLine.Model.OptionSpec.builder(names).usageHelp(true)
          .description("Show this help message and exit.").build());
    }
    // A subcommand with the standard -V/--version prints the same line as 'bastion --version'.
    if (spec.findOption("--version") != null && spec.versionProvider() == null
        && spec.version().length == 0) {
      spec.versionProvider(new Version());
    }
    c.getSubcommands().values().forEach(Main::addHelp);
  }

  // Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level.
  private static final Logger TRIBUO_LOG = Logger.getLogger("org.tribuo");
  private static final Logger OLCUT_LOG = Logger.getLogger("com.oracle.labs");

  public static void main(String[] args) {
    // Library progress messages would drown the command's own output.
    TRIBUO_LOG.setLevel(Level.WARNING);
    OLCUT_LOG.setLevel(Level.WARNING);
    int code;
    try {
      code = commandLine().execute(args);
    } catch (OutOfMemoryError | StackOverflowError e) {
      PrintWriter err = new PrintWriter(System.err, true);
      code = fatal(e, err);
    }
    System.exit(code);
  }

  /**
   * One line for an error the JVM raised past the command's own handling (it is not an exception:
   * the command's handler never sees it), instead of its stack trace; the exit code is {@link
   * #INTERNAL_ERROR}.
   */
  static int fatal(Error e, PrintWriter err) {
    if (e instanceof OutOfMemoryError) {
      err.println("bastion: out of memory (heap limit " + Runtime.getRuntime().maxMemory()
          / (1024 * 1024) + " MiB): the input is larger than this command can hold; give it"
          + " more with BASTION_JAVA_OPTS=-Xmx..., or use a smaller input");
    } else {
      err.println("bastion: internal error: " + e + "; this is a bug");
    }
    err.flush();
    return INTERNAL_ERROR;
  }

  /** Prints the version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"bastion " + dev.bastion.attest.BastionVersion.get()};
    }
  }
}
