package dev.bulkhead.gui.internal;

import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.util.Map;

/**
 * dom0's key events as X keysyms and X modifier masks, so a key reaches a qube as the symbol the
 * user typed whatever keymap the qube has.
 */
final class Keysyms {
    private static final Map<Integer, Integer> SPECIAL = Map.ofEntries(
            Map.entry(KeyEvent.VK_ENTER, 0xff0d), Map.entry(KeyEvent.VK_BACK_SPACE, 0xff08),
            Map.entry(KeyEvent.VK_TAB, 0xff09), Map.entry(KeyEvent.VK_ESCAPE, 0xff1b),
            Map.entry(KeyEvent.VK_DELETE, 0xffff), Map.entry(KeyEvent.VK_HOME, 0xff50),
            Map.entry(KeyEvent.VK_LEFT, 0xff51), Map.entry(KeyEvent.VK_UP, 0xff52),
            Map.entry(KeyEvent.VK_RIGHT, 0xff53), Map.entry(KeyEvent.VK_DOWN, 0xff54),
            Map.entry(KeyEvent.VK_PAGE_UP, 0xff55), Map.entry(KeyEvent.VK_PAGE_DOWN, 0xff56),
            Map.entry(KeyEvent.VK_END, 0xff57), Map.entry(KeyEvent.VK_INSERT, 0xff63),
            Map.entry(KeyEvent.VK_CAPS_LOCK, 0xffe5), Map.entry(KeyEvent.VK_SPACE, 0x20));

    private Keysyms() {
    }

    /** The keysym of {@code e}, or 0 when it has none a qube could use. */
    static int of(KeyEvent e) {
        int code = e.getKeyCode();
        boolean right = e.getKeyLocation() == KeyEvent.KEY_LOCATION_RIGHT;
        switch (code) {
            case KeyEvent.VK_SHIFT:
                return right ? 0xffe2 : 0xffe1;
            case KeyEvent.VK_CONTROL:
                return right ? 0xffe4 : 0xffe3;
            case KeyEvent.VK_ALT:
                return right ? 0xffea : 0xffe9;
            case KeyEvent.VK_META:
            case KeyEvent.VK_WINDOWS:
                return 0xffeb;
            default:
                break;
        }
        if (code >= KeyEvent.VK_F1 && code <= KeyEvent.VK_F12) {
            return 0xffbe + code - KeyEvent.VK_F1;
        }
        Integer special = SPECIAL.get(code);
        if (special != null) {
            return special;
        }
        char c = e.getKeyChar();
        if (c != KeyEvent.CHAR_UNDEFINED && c >= 0x20 && c != 0x7f && !Character.isSurrogate(c)) {
            // Latin-1 keysyms equal their code point; others are 0x01000000 plus it.
            return c < 0x100 ? c : 0x01000000 | c;
        }
        if (code >= KeyEvent.VK_A && code <= KeyEvent.VK_Z) {
            return 'a' + code - KeyEvent.VK_A;
        }
        if (code >= KeyEvent.VK_0 && code <= KeyEvent.VK_9) {
            return code;
        }
        return 0;
    }

    /** X's modifier and button mask for {@code e}'s modifiers. */
    static int state(InputEvent e) {
        int m = e.getModifiersEx();
        int state = 0;
        state |= (m & InputEvent.SHIFT_DOWN_MASK) != 0 ? 1 : 0;
        state |= (m & InputEvent.CTRL_DOWN_MASK) != 0 ? 4 : 0;
        state |= (m & InputEvent.ALT_DOWN_MASK) != 0 ? 8 : 0;
        state |= (m & InputEvent.META_DOWN_MASK) != 0 ? 0x40 : 0;
        state |= (m & InputEvent.BUTTON1_DOWN_MASK) != 0 ? 0x100 : 0;
        state |= (m & InputEvent.BUTTON2_DOWN_MASK) != 0 ? 0x200 : 0;
        state |= (m & InputEvent.BUTTON3_DOWN_MASK) != 0 ? 0x400 : 0;
        return state;
    }
}
