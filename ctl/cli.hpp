/* SPDX-License-Identifier: MIT */
/*
 * What every benchctl subcommand shares: the exit codes, the context the
 * global options set up, help texts, option errors, and a Session that
 * calls the daemon and turns any failure into the one line benchctl
 * prints for it.
 */
#pragma once

#include <getopt.h>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "client.hpp"

namespace benchd::ctl {

/* The exit codes `benchctl --help` documents. */
enum ExitCode : int {
	kExitOk = 0,
	kExitFailed = 1,      /* the daemon refused, or the job did not complete (--wait) */
	kExitUsage = 2,	      /* a bad option or value; nothing was sent */
	kExitUnreachable = 3, /* no daemon at the socket, or it spoke nonsense */
};

inline constexpr const char *kDefaultSocket = "/run/benchd/benchd.sock";

struct Context {
	std::string socket = kDefaultSocket;
	bool stdoutTty = false;
	bool stderrTty = false;
};

/* A subcommand's manual: `benchctl CMD --help` shows it, `benchctl --help` gathers them. */
struct Help {
	const char *synopsis;	 /* after "benchctl ", e.g. "logs JOB [OPTION]..." */
	const char *description; /* a paragraph, lines end in \n */
	const char *options;	 /* option lines, indented by two */
	const char *exitStatus;	 /* what 0 and 1 mean for this command */
	const char *examples;	 /* command lines, indented by two */
};

void printHelp(const Help &help);

/* "benchctl: MESSAGE" on stderr; returns `code`. */
int fail(int code, std::string_view message);
/* The same line for something worth knowing that is not a failure. */
void note(std::string_view message);

/* After getopt_long returned '?' or ':' in `command` (nullptr: the global options): say which, return 2. */
int badOption(const char *command, int opt, char **argv);

/* A JOB operand: a positive integer. */
Result<int64_t> parseJobId(std::string_view text);

/*
 * After a lost connection: how often to try again, and how long to wait
 * before try `n` (from 1). A restarting daemon is back within seconds;
 * one that stays away is reported after about ten.
 */
inline constexpr int kReconnectTries = 8;
int reconnectDelayMs(int n);

/* Whether a call may be sent again after the connection was lost. */
enum class Retry { Never, OnConnectionLoss };

class Session
{
public:
	explicit Session(const Context &context) : ctx_(context) {}

	/*
	 * io.benchd.Supervisor.METHOD; the reply's parameters. On failure the
	 * one line is printed and exitCode() says how benchctl should exit.
	 */
	std::optional<Json> call(std::string_view method, const Json &parameters, Retry retry = Retry::Never);

	int exitCode() const { return exit_; }

private:
	Result<Reply> callOnce(std::string_view name, const Json &parameters, bool &connectFailed);

	const Context &ctx_;
	std::optional<Client> client_;
	int exit_ = kExitOk;
};

/* The full method name of one of io.benchd.Supervisor's methods. */
std::string method(std::string_view name);

/*
 * Print the one line for a failure and return the exit code:
 * `unreachable` for a failed connect (with a hint), `lost` for a
 * connection that broke or spoke nonsense, `refused` for an error reply.
 */
int unreachable(const Error &error);
int lost(const Error &error);
int refused(const Reply &reply);

} /* namespace benchd::ctl */
