"""Offline stand-in for ansible-test's downloaded get-pip bootstrap script.

ansible-test creates its sanity virtualenvs without pip and bootstraps pip with a script it
downloads from a host that this project's machines cannot reach. It uses a cached copy when one
exists, so scripts/sanity.sh installs this file under the cached name.
"""
import subprocess
import sys

# ensurepip must run in a child: in-process it sets PIP_CONFIG_FILE=/dev/null, which would hide the
# machine's pip configuration (index mirror, CA bundle) from the pip call below.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
