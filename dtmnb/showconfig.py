"""What ``dtm show config`` prints: a sample config, whole-config templates and plugin option templates.

    sample_config()              # dtm show config               (a sample config to start from)
    template("quickstart")       # dtm show config -t quickstart (a repository plus its CI workflows)
    template("gitops")           # dtm show config -t gitops     (the same, with S3 state and variables)
    plugin_template("local-file")  # dtm show config -p local-file (a tool entry made from the schema)

The two templates are whole configs in dtm's single-file ``---`` form. As printed they apply on dtmnb's
sandbox (GitHub user IronCore864, bucket devstream-test-remote-state); on real GitHub, change the
GitHub and Docker Hub names first. ``docker.enable`` needs ``DOCKERHUB_TOKEN`` in the environment.
"""
from __future__ import annotations

from .errors import PluginNotFoundError, UsageError
from .schema import did_you_mean

SAMPLE_CONFIG = """\
---
# core config: where the variables, the tools and the state are
varFile: "" # a variables file (e.g. variables.yaml, relative to this file); empty: the variables section below
toolFile: "" # a tools file (e.g. tools.yaml); empty: the tools section below
state: # where dtm records what it made; backend can be local or s3
  backend: local
  options:
    stateFile: devstream.state

---
# variables config: used in the tools as [[ name ]]
githubUsername: YOUR_GITHUB_USERNAME_CASE_SENSITIVE
repoName: go-webapp-demo
dockerhubUsername: YOUR_DOCKERHUB_USERNAME

---
# plugins config: the tools to create (dtm show config -p PLUGIN prints a plugin's options)
tools:
  - name: github-repo-scaffolding-golang
    instanceID: default
    options:
      owner: [[ githubUsername ]]
      org: ""
      repo: [[ repoName ]]
      branch: main
      image_repo: [[ dockerhubUsername ]]/[[ repoName ]]
"""

_CI_TOOL = """\
  - name: githubactions-golang
    instanceID: default
    dependsOn: ["github-repo-scaffolding-golang.default"]
    options:
      # the repository the tool above made, through its outputs
      owner: ${{ github-repo-scaffolding-golang.default.outputs.owner }}
      org: ""
      repo: ${{ github-repo-scaffolding-golang.default.outputs.repo }}
      language:
        name: go
        version: "1.21"
      branch: %(branch)s
      build:
        enable: true
        command: "go build ./..."
      test:
        enable: true
        command: "go test ./..."
        coverage:
          enable: true
          profile: "-race -covermode=atomic"
          output: "coverage.out"
      docker:
        # pushes an image to Docker Hub; needs DOCKERHUB_TOKEN in the environment (sent to GitHub as a secret)
        enable: true
        registry:
          type: dockerhub
          username: %(dockerhub)s
          repository: ${{ github-repo-scaffolding-golang.default.outputs.repo }}
"""

QUICKSTART = """\
---
# core config
varFile: "" # If not empty, use the specified external variables config file
toolFile: "" # If not empty, use the specified external tools config file
state: # state config, backend can be local or s3
  backend: local
  options:
    stateFile: devstream.state

---
# plugins config
tools:
  - name: github-repo-scaffolding-golang
    instanceID: default
    options:
      owner: IronCore864 # your GitHub login, case-sensitive (IronCore864 is the sandbox's user)
      org: ""
      repo: go-webapp-devstream-demo
      branch: main
      image_repo: ironcore864/go-webapp-devstream-demo
""" + _CI_TOOL % {"branch": "main", "dockerhub": "ironcore864"}

GITOPS = """\
---
# core config
varFile: "" # If not empty, use the specified external variables config file
toolFile: "" # If not empty, use the specified external tools config file
state: # state config: an S3 bucket, so a team shares one state
  backend: s3
  options:
    bucket: devstream-test-remote-state
    region: ap-southeast-1
    key: devstream.state

---
# variables config
githubUsername: IronCore864
repoName: dtm-test-go
defaultBranch: main
dockerhubUsername: ironcore864

---
# plugins config
tools:
  - name: github-repo-scaffolding-golang
    instanceID: default
    options:
      owner: [[ githubUsername ]]
      org: ""
      repo: [[ repoName ]]
      branch: [[ defaultBranch ]]
      image_repo: [[ dockerhubUsername ]]/[[ repoName ]]
""" + _CI_TOOL % {"branch": "[[ defaultBranch ]]", "dockerhub": "[[ dockerhubUsername ]]"}

TEMPLATES = {"quickstart": QUICKSTART, "gitops": GITOPS}

_TOOL_HEADER = """\
tools:
  # name of the tool
  - name: {name}
    # id of the tool instance
    instanceID: default
    # format: name.instanceID; if specified, dtm makes sure the dependency is applied before this tool.
    dependsOn: [ ]
    # options for the plugin
"""


def sample_config() -> str:
    """A sample config (``dtm show config`` with no flag): core, variables and tools in one file."""
    return SAMPLE_CONFIG


def template_names() -> list[str]:
    return sorted(TEMPLATES)


def template(name: str) -> str:
    """A whole config (``dtm show config -t NAME``): ``quickstart`` or ``gitops``."""
    if name not in TEMPLATES:
        raise UsageError(f"illegal template name : < {name} >{did_you_mean(name, TEMPLATES)}. "
                         f"Known templates: {', '.join(template_names())}")
    return TEMPLATES[name]


def plugin_template(name: str) -> str:
    """A tool entry for plugin ``name`` with every option, its default and what it means (from the schema)."""
    from .plugins import get_plugin_class, plugin_names

    known = plugin_names()
    if name not in known:
        raise PluginNotFoundError(f"illegal plugin name : < {name} >{did_you_mean(name, known)}. "
                                  f"Known plugins: {', '.join(known)}")
    cls = get_plugin_class(name)
    head = _TOOL_HEADER.format(name=name)
    if cls.schema is None:
        return head + "    options: {} # this plugin declares no option schema: see its documentation\n"
    return head + "    options:\n" + cls.schema.template(indent=6) + "\n"


__all__ = ["plugin_template", "sample_config", "template", "template_names"]
