package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(
    name = "init",
    description = "Create BASTION_HOME: keys, the local CA, identities, default gate policies.")
final class InitCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    try (Home home = Home.init(Home.defaultDir())) {
      if (home.created().isEmpty()) {
        System.out.println("BASTION_HOME " + home.dir() + " is already initialised; nothing changed");
      } else {
        System.out.println("BASTION_HOME " + home.dir());
        home.created().forEach(c -> System.out.println("  created " + c));
      }
    }
    return 0;
  }
}
