import AssistCLI

await AssistCommand.runFromCommandLine()
