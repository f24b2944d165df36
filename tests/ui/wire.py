"""A minimal Streamlit client over the app's WebSocket: what a browser receives, without a browser.

It connects to `/_stcore/stream` of a `streamlit run` server, asks for a script run the way the
frontend does on page load, and reads the ForwardMsg protobufs until the first `st.metric` arrives.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass(frozen=True)
class FirstKpi:
    label: str
    value: str
    seconds: float  # from opening the WebSocket to receiving the metric


async def first_kpi_async(base_url: str, timeout: float = 30.0) -> FirstKpi:
    ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    started = time.perf_counter()
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, close_timeout=0.5) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = ""
        await ws.send(back.SerializeToString())
        deadline = started + timeout
        while True:
            raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "metric":
                    return FirstKpi(element.metric.label, element.metric.body, time.perf_counter() - started)


def first_kpi(base_url: str, timeout: float = 30.0) -> FirstKpi:
    return asyncio.run(first_kpi_async(base_url, timeout))
