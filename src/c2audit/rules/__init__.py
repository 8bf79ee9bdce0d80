"""Audit rules in auditctl's language: parse, compile to ``audit_rule_data``, print back.

    text --lexer--> words --options--> typed commands (syntax) --compiler--> bytes --decompiler--> text

- ``parse_rules_text(text, file)`` / ``parse_line`` / ``parse_argv``: typed commands
  (``RuleCommand`` with ordered parts, and one dataclass per control option), each
  with its ``Origin`` (file, line, column, token, line text).
- ``compile_rules_text`` / ``compile_rule``: ``CompiledRule`` (``.data`` is what
  auditctl sends; ``kernel_form`` is what the kernel lists back), given an
  ``Environment`` (``host.host_environment()`` for this machine).
- ``decompile`` / ``decompile_listing``: the text ``auditctl -l`` prints.

Every core here is pure; ``host`` is the only module that asks the system.
"""
from c2audit.rules.compiler import CompiledFile, CompiledRule, Environment, compile_rule, compile_rules_text
from c2audit.rules.decompiler import decompile, decompile_listing
from c2audit.rules.errors import (
    FieldError,
    LexError,
    OptionError,
    Origin,
    RuleDataError,
    RuleError,
    RuleWarning,
    SyscallError,
)
from c2audit.rules.ruledata import RuleData, RuleField, kernel_form
from c2audit.rules.syntax import ParsedFile, ParsedLine, RuleCommand, parse_argv, parse_line, parse_rules_text

__all__ = [
    "CompiledFile", "CompiledRule", "Environment", "FieldError", "LexError", "OptionError", "Origin",
    "ParsedFile", "ParsedLine", "RuleCommand", "RuleData", "RuleDataError", "RuleError", "RuleField",
    "RuleWarning", "SyscallError", "compile_rule", "compile_rules_text", "decompile", "decompile_listing",
    "kernel_form", "parse_argv", "parse_line", "parse_rules_text",
]
