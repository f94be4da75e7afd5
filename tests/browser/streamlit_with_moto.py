"""`streamlit run ...` with moto answering AWS in the process, for tests of the AWS backend.

    python tests/browser/streamlit_with_moto.py run streamlit_app.py --server.port PORT ...

Streamlit's own command line runs unchanged; moto (mock_aws) answers what is addressed to AWS itself
(STS GetCallerIdentity for the sidebar), so nothing reaches a real account. Requests to other hosts,
such as an emulator named by AWS_ENDPOINT_URL_BEDROCK(_RUNTIME), pass through. The credentials in the
environment are left as they are (moto would otherwise put fake ones in their place).
"""

from __future__ import annotations

import sys

from moto import mock_aws
from streamlit.web.cli import main

if __name__ == "__main__":
    with mock_aws(config={"core": {"mock_credentials": False}}):
        sys.exit(main(prog_name="streamlit"))
