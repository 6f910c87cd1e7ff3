// Returned to the host: the only things it calls back into.
return {
  fireTimer(id) {
    const t = __timers.get(id);
    if (!t) return;
    if (t.repeat === null) __timers.delete(id);
    else host.setTimer(id, t.repeat);
    t.callback(...t.args);
  },
};
